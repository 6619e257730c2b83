package store

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/weblogin"
)

//go:embed migrations/*.sql
var migrations embed.FS

// VersionTable records casework's schema version, apart from the exchange
// tables' own.
const VersionTable = "casework_schema_version"

// Migrate brings the database at dsn to casework's schema: the exchange
// tables first, since the relay shares them, then the login sessions'
// (weblogin), then casework's own.
func Migrate(ctx context.Context, dsn string) error {
	if err := exchange.Migrate(ctx, dsn); err != nil {
		return err
	}
	if err := weblogin.Migrate(ctx, dsn); err != nil {
		return err
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate casework: %w", err)
	}
	if err := pgdb.Migrate(ctx, dsn, fsys, VersionTable); err != nil {
		return fmt.Errorf("migrate casework: %w", err)
	}
	return nil
}

// DB runs queries: a pool or a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Referral is a row of the referrals table. Details is the referral
// document as JSON; this package does not look inside it.
type Referral struct {
	ID              string
	CaseRef         string
	Side            cases.Side
	Status          cases.Status
	SenderMember    corridor.MemberCode
	SenderAgency    string
	SenderUser      string
	RecipientMember corridor.MemberCode
	RecipientAgency string
	Urgency         string
	Details         json.RawMessage
	DecisionReason  string // why it was declined, in the recipient's words
	DecisionCode    string // why it was declined, as a code ("no_capacity")
	// PreviousReferralID is the declined or withdrawn referral this one
	// re-refers under the same case reference; "" for a first referral.
	PreviousReferralID string
	// DecisionDueAt is when a decision is due; set on insert, never changed.
	DecisionDueAt time.Time
	// DueStep is the step due next ("decision", "information_response",
	// "handover", "follow_up"), and DueAt when; "" and zero when none is.
	// Casework sets them on every transition (SetDue).
	DueStep string
	DueAt   time.Time
	// ChildName is the child's names, for the name search: Insert stores
	// them normalised (casework_name_key); rows read back leave it empty.
	ChildName string
	// Assignee is the user of the holding agency a supervisor assigned the
	// referral to; empty when unassigned.
	Assignee   string
	AssignedBy string
	AssignedAt time.Time // zero when unassigned
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Event is a row of referral_history: one transition, made here or applied
// from the other side. MessageID is the exchange message that carried it.
type Event struct {
	Seq         int
	At          time.Time
	Event       cases.Event
	ActorSide   cases.Side
	ActorMember corridor.MemberCode
	Actor       string
	FromStatus  cases.Status
	ToStatus    cases.Status
	MessageID   string
	// ReasonCode is the event's reason as a code ("family_refused"); Note
	// is the user's own words. Both travel in the message, so both sides
	// keep them.
	ReasonCode string
	Note       string
	// Outcome is how a message that crossed this side's own step was
	// applied (a cases.Outcome other than applied); "" otherwise.
	Outcome string
}

// ActorRelay is the actor of events that arrived from the other country.
const ActorRelay = "relay"

// InTx runs fn in a transaction on pool, committing when it returns nil.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	if err := pgx.BeginFunc(ctx, pool, fn); err != nil {
		return err
	}
	return nil
}

const referralColumns = `id, case_ref, side, status, sender_member, sender_agency, sender_user,
	recipient_member, recipient_agency, urgency, details, decision_reason, decision_code, decision_due_at,
	coalesce(assignee, ''), coalesce(assigned_by, ''), assigned_at, created_at, updated_at, previous_referral_id,
	coalesce(due_step, ''), due_at`

func scanReferral(row pgx.CollectableRow) (Referral, error) { return scanWith(row) }

// scanWith scans referralColumns, then the extra columns a query adds into
// extra.
func scanWith(row pgx.CollectableRow, extra ...any) (Referral, error) {
	var r Referral
	var assignedAt, dueAt *time.Time
	dest := []any{&r.ID, &r.CaseRef, &r.Side, &r.Status, &r.SenderMember, &r.SenderAgency, &r.SenderUser,
		&r.RecipientMember, &r.RecipientAgency, &r.Urgency, &r.Details, &r.DecisionReason, &r.DecisionCode, &r.DecisionDueAt,
		&r.Assignee, &r.AssignedBy, &assignedAt, &r.CreatedAt, &r.UpdatedAt, &r.PreviousReferralID, &r.DueStep, &dueAt}
	err := row.Scan(append(dest, extra...)...)
	if dueAt != nil {
		r.DueAt = dueAt.UTC()
	}
	r.DecisionDueAt, r.CreatedAt, r.UpdatedAt = r.DecisionDueAt.UTC(), r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	if assignedAt != nil {
		r.AssignedAt = assignedAt.UTC()
	}
	return r, err
}

// Insert adds a referral. A referral with the same id is a KindConflict
// error.
func Insert(ctx context.Context, db DB, r Referral) error {
	_, err := db.Exec(ctx, `
		INSERT INTO referrals (id, case_ref, side, status, sender_member, sender_agency, sender_user,
			recipient_member, recipient_agency, urgency, details, decision_reason, decision_code,
			decision_due_at, child_name_key, created_at, updated_at, previous_referral_id, due_step, due_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
			coalesce(casework_name_key($15), ''), $16, $17, $18, nullif($19, ''),
			CASE WHEN $19 = '' THEN NULL ELSE $20::timestamptz END)`,
		r.ID, r.CaseRef, r.Side, r.Status, r.SenderMember, r.SenderAgency, r.SenderUser,
		r.RecipientMember, r.RecipientAgency, r.Urgency, r.Details, r.DecisionReason, r.DecisionCode,
		r.DecisionDueAt, r.ChildName, r.CreatedAt, r.UpdatedAt, r.PreviousReferralID, r.DueStep, r.DueAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return &corridor.Error{Kind: corridor.KindConflict, Message: "a referral with this id already exists", Err: err}
	}
	if err != nil {
		return fmt.Errorf("insert referral: %w", err)
	}
	return nil
}

// Get returns one referral, or a KindNotFound error.
func Get(ctx context.Context, db DB, id string) (Referral, error) {
	return getOne(ctx, db, `SELECT `+referralColumns+` FROM referrals WHERE id = $1`, id)
}

// GetForUpdate returns one referral locked until tx ends, so that two
// changes to it are made one after the other; or a KindNotFound error.
func GetForUpdate(ctx context.Context, tx pgx.Tx, id string) (Referral, error) {
	return getOne(ctx, tx, `SELECT `+referralColumns+` FROM referrals WHERE id = $1 FOR UPDATE`, id)
}

func getOne(ctx context.Context, db DB, sql, id string) (Referral, error) {
	if !corridor.IsCode(id) {
		// No referral has such an id, and PostgreSQL refuses some (a NUL
		// character, invalid UTF-8) with an error rather than no row.
		return Referral{}, corridor.Errorf(corridor.KindNotFound, "no such referral")
	}
	rows, err := db.Query(ctx, sql, id)
	if err != nil {
		return Referral{}, fmt.Errorf("get referral: %w", err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, scanReferral)
	if errors.Is(err, pgx.ErrNoRows) {
		return Referral{}, corridor.Errorf(corridor.KindNotFound, "no such referral")
	}
	if err != nil {
		return Referral{}, fmt.Errorf("get referral: %w", err)
	}
	return r, nil
}

// CaseReferrals returns the referrals held here under case reference
// caseRef, oldest first: a first referral and its re-referrals.
func CaseReferrals(ctx context.Context, db DB, caseRef string) ([]Referral, error) {
	rows, err := db.Query(ctx, `SELECT `+referralColumns+` FROM referrals
		WHERE case_ref = $1 ORDER BY created_at, id`, caseRef)
	if err != nil {
		return nil, fmt.Errorf("list referrals of case: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanReferral)
	if err != nil {
		return nil, fmt.Errorf("list referrals of case: %w", err)
	}
	return out, nil
}

// ReReferral returns the id of the referral this side sent to re-refer
// previousID, or "" if there is none.
func ReReferral(ctx context.Context, db DB, previousID string) (string, error) {
	var id string
	err := db.QueryRow(ctx, `SELECT id FROM referrals
		WHERE side = 'sender' AND previous_referral_id = $1`, previousID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("look up re-referral: %w", err)
	}
	return id, nil
}

// Direction selects the referrals an agency sent or received.
type Direction string

// The directions.
const (
	Outgoing Direction = "outgoing"
	Incoming Direction = "incoming"
)

// Decision is why a referral was declined.
type Decision struct {
	Code   string
	Reason string
}

// SetStatus moves a referral to status at time at; a non-nil decision
// replaces the stored one.
func SetStatus(ctx context.Context, db DB, id string, status cases.Status, decision *Decision, at time.Time) error {
	var code, reason *string
	if decision != nil {
		code, reason = &decision.Code, &decision.Reason
	}
	tag, err := db.Exec(ctx, `
		UPDATE referrals
		SET status = $2,
			decision_code = coalesce($3, decision_code),
			decision_reason = coalesce($4, decision_reason),
			updated_at = $5
		WHERE id = $1`, id, status, code, reason, at)
	if err != nil {
		return fmt.Errorf("update referral status: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return corridor.Errorf(corridor.KindNotFound, "no such referral")
	}
	return nil
}

// SetDue records the step of a referral due next and when; an empty step
// records that none is.
func SetDue(ctx context.Context, db DB, id, step string, at time.Time) error {
	var s *string
	var t *time.Time
	if step != "" {
		s, t = &step, &at
	}
	if _, err := db.Exec(ctx, `UPDATE referrals SET due_step = $2, due_at = $3 WHERE id = $1`, id, s, t); err != nil {
		return fmt.Errorf("update referral due step: %w", err)
	}
	return nil
}

// SetDetails replaces a referral's document, and the child's names the
// lists search, which come from it.
func SetDetails(ctx context.Context, db DB, id string, details []byte, childName string) error {
	tag, err := db.Exec(ctx, `
		UPDATE referrals SET details = $2, child_name_key = coalesce(casework_name_key($3), '')
		WHERE id = $1`, id, details, childName)
	if err != nil {
		return fmt.Errorf("update referral document: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return corridor.Errorf(corridor.KindNotFound, "no such referral")
	}
	return nil
}

// AppendEvent adds e to the referral's history with the next sequence
// number. Call it with the referral locked (GetForUpdate) or just inserted.
func AppendEvent(ctx context.Context, db DB, referralID string, e Event) error {
	var msg *string
	if e.MessageID != "" {
		msg = &e.MessageID
	}
	_, err := db.Exec(ctx, `
		INSERT INTO referral_history (referral_id, seq, at, event, actor_side, actor_member, actor,
			from_status, to_status, message_id, note, reason_code, outcome)
		SELECT $1::text, coalesce(max(seq), 0) + 1, $2::timestamptz, $3::text, $4::text, $5::text,
			$6::text, $7::text, $8::text, $9::text, $10::text, $11::text, $12::text
		FROM referral_history WHERE referral_id = $1::text`,
		referralID, e.At, e.Event, e.ActorSide, e.ActorMember, e.Actor, e.FromStatus, e.ToStatus, msg, e.Note,
		e.ReasonCode, e.Outcome)
	if err != nil {
		return fmt.Errorf("append referral history: %w", err)
	}
	return nil
}

// History returns a referral's events in order.
func History(ctx context.Context, db DB, referralID string) ([]Event, error) {
	rows, err := db.Query(ctx, `
		SELECT seq, at, event, actor_side, actor_member, actor, from_status, to_status,
			coalesce(message_id, ''), note, reason_code, outcome
		FROM referral_history WHERE referral_id = $1 ORDER BY seq`, referralID)
	if err != nil {
		return nil, fmt.Errorf("get referral history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
		var e Event
		err := row.Scan(&e.Seq, &e.At, &e.Event, &e.ActorSide, &e.ActorMember, &e.Actor,
			&e.FromStatus, &e.ToStatus, &e.MessageID, &e.Note, &e.ReasonCode, &e.Outcome)
		e.At = e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("get referral history: %w", err)
	}
	return out, nil
}

// MessageApplied reports whether a message already changed some referral's
// history, so that applying it again can be skipped.
func MessageApplied(ctx context.Context, db DB, messageID string) (bool, error) {
	var seen bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM referral_history WHERE message_id = $1)`, messageID).Scan(&seen)
	if err != nil {
		return false, fmt.Errorf("look up applied message: %w", err)
	}
	return seen, nil
}

// Delivered is an outgoing referral still in status sent whose referral
// message has a recorded receipt: the recipient has it.
type Delivered struct {
	ReferralID string
	MessageID  string
	ReceiptAt  time.Time
}

// ClaimDelivered takes up to limit receipts for referral messages from the
// exchange (exchange.ClaimReceipts: taken in tx, offered again if tx rolls
// back) and returns those whose referral is still an outgoing one in
// status sent, locked until tx ends. A receipt for a referral that has
// moved on (its decision arrived first) is taken and needs nothing more.
func ClaimDelivered(ctx context.Context, tx pgx.Tx, limit int) ([]Delivered, error) {
	receipts, err := exchange.ClaimReceipts(ctx, tx, exchange.TypeReferral, limit)
	if err != nil {
		return nil, fmt.Errorf("claim delivered referrals: %w", err)
	}
	ids := make([]string, len(receipts))
	for i, m := range receipts {
		ids[i] = m.ReferralID
	}
	rows, err := tx.Query(ctx, `
		SELECT id FROM referrals
		WHERE id = ANY($1) AND side = 'sender' AND status = 'sent'
		ORDER BY id
		FOR UPDATE`, ids)
	if err != nil {
		return nil, fmt.Errorf("claim delivered referrals: %w", err)
	}
	sent, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("claim delivered referrals: %w", err)
	}
	out := make([]Delivered, 0, len(receipts))
	for _, m := range receipts {
		if slices.Contains(sent, m.ReferralID) {
			out = append(out, Delivered{ReferralID: m.ReferralID, MessageID: m.MessageID, ReceiptAt: m.ReceiptAt.UTC()})
		}
	}
	return out, nil
}
