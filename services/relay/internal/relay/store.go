package relay

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/pgdb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// VersionTable records the relay's own schema version, apart from the
// exchange tables' (which casework migrates too) in the same database.
const VersionTable = "relay_schema_version"

// Migrate brings the database at dsn to the schema the relay needs: the
// exchange tables, then the relay's own.
func Migrate(ctx context.Context, dsn string) error {
	if err := exchange.Migrate(ctx, dsn); err != nil {
		return fmt.Errorf("migrate relay: %w", err)
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate relay: %w", err)
	}
	if err := pgdb.Migrate(ctx, dsn, fsys, VersionTable); err != nil {
		return fmt.Errorf("migrate relay: %w", err)
	}
	return nil
}

// Reason says why a message was quarantined. The set is closed (the table's
// CHECK lists the same) and carries no data, so it is safe as a metric label.
type Reason string

// The reasons.
const (
	ReasonWrongRecipient  Reason = "wrong_recipient"  // sealed to another member
	ReasonUnknownKey      Reason = "unknown_key"      // a key id neither we nor the directory know
	ReasonBadSignature    Reason = "bad_signature"    // body or signature altered or forged
	ReasonHeaderAltered   Reason = "header_altered"   // signed body, header changed after sealing
	ReasonMalformed       Reason = "malformed"        // does not parse
	ReasonTooLarge        Reason = "too_large"        // over the protocol's size limit
	ReasonUnknownSender   Reason = "unknown_sender"   // the sender is not a member in the directory
	ReasonUnknownAgency   Reason = "unknown_agency"   // an agency the directory does not list
	ReasonRouteMismatch   Reason = "route_mismatch"   // the subject and the signed content disagree
	ReasonUnknownMessage  Reason = "unknown_message"  // a receipt for a message we never sent
	ReasonReceiptMismatch Reason = "receipt_mismatch" // a receipt for bytes we never sent
	ReasonGaveUp          Reason = "gave_up"          // failed on every delivery attempt
	// ReasonNotCanonical: parses, but its bytes are not the canonical
	// encoding (one message must have one byte string, and one digest).
	ReasonNotCanonical Reason = "not_canonical"
	// ReasonForeignMessageID: the message id lacks the sender's prefix.
	ReasonForeignMessageID Reason = "foreign_message_id"
	// ReasonConflictingDuplicate: the sender's message id is already in the
	// inbox with another type, case or payload: never receipted.
	ReasonConflictingDuplicate Reason = "conflicting_duplicate"
	// ReasonOutsideWindow: sent_at is too old, in the future, or outside
	// the signing key's validity (a replay).
	ReasonOutsideWindow Reason = "outside_window"
)

// Reasons returns every reason, for metrics that start at zero.
func Reasons() []Reason {
	return []Reason{
		ReasonWrongRecipient, ReasonUnknownKey, ReasonBadSignature, ReasonHeaderAltered,
		ReasonMalformed, ReasonTooLarge, ReasonUnknownSender, ReasonUnknownAgency,
		ReasonRouteMismatch, ReasonUnknownMessage, ReasonReceiptMismatch, ReasonGaveUp,
		ReasonNotCanonical, ReasonForeignMessageID, ReasonConflictingDuplicate, ReasonOutsideWindow,
	}
}

// Quarantined is a row of relay_quarantine. The header fields are what the
// message claimed in clear, unauthenticated; the raw bytes are never served
// by the API, since garbage may be anything. Reason and Error are those of
// the last check; the Last* fields say what a person last did about it.
type Quarantined struct {
	ID              int64     `json:"id"`
	ReceivedAt      time.Time `json:"received_at"`
	StreamSeq       uint64    `json:"stream_seq"`
	Subject         string    `json:"subject"`
	Reason          Reason    `json:"reason"`
	Error           string    `json:"error"`
	MessageID       string    `json:"message_id,omitempty"`
	MessageType     string    `json:"message_type,omitempty"`
	SenderMember    string    `json:"sender_member,omitempty"`
	SenderAgency    string    `json:"sender_agency,omitempty"`
	RecipientMember string    `json:"recipient_member,omitempty"`
	RecipientAgency string    `json:"recipient_agency,omitempty"`
	Size            int       `json:"size"`
	State           State     `json:"state"`
	// Attempts counts the times the checks ran: 1 on arrival, one more
	// per release that failed.
	Attempts       int        `json:"attempts"`
	LastAction     Action     `json:"last_action,omitempty"`
	LastActionAt   *time.Time `json:"last_action_at,omitempty"`
	LastActionBy   string     `json:"last_action_by,omitempty"`
	LastActionNote string     `json:"last_action_note,omitempty"`
	ResolvedAt     *time.Time `json:"resolved_at,omitempty"`
	Raw            []byte     `json:"-"`
}

// State is where a quarantined message stands.
type State string

// The states.
const (
	StateQuarantined State = "quarantined" // waits for a person
	StateReleased    State = "released"    // passed the checks again and is in the inbox
	StateDismissed   State = "dismissed"   // closed by a person without applying it
)

// States returns every state.
func States() []State { return []State{StateQuarantined, StateReleased, StateDismissed} }

// Action is what a person did about a quarantined message.
type Action string

// The actions.
const (
	ActionRelease Action = "release"
	ActionDismiss Action = "dismiss"
)

// maxErrorLen bounds stored error texts.
const maxErrorLen = 1000

// auditActor is the relay in the audit trail.
var auditActor = audit.Service("relay")

// insertQuarantine stores q and reports whether it was new: a message
// quarantined before (same INBOX sequence) keeps its first row. A new one
// is recorded in the audit trail in the same transaction, by its
// quarantine id and reason: what the message claims in clear is hostile
// input, kept out of the trail.
func insertQuarantine(ctx context.Context, db exchange.Beginner, q Quarantined) (bool, error) {
	raw := q.Raw
	if raw == nil {
		raw = []byte{}
	}
	var inserted bool
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO relay_quarantine (stream_seq, subject, reason, error, message_id, message_type,
				sender_member, sender_agency, recipient_member, recipient_agency, raw)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (stream_seq) DO NOTHING
			RETURNING id`,
			int64(q.StreamSeq), text(q.Subject, maxErrorLen), string(q.Reason), text(q.Error, maxErrorLen),
			text(q.MessageID, maxErrorLen), text(q.MessageType, maxErrorLen), text(q.SenderMember, maxErrorLen),
			text(q.SenderAgency, maxErrorLen), text(q.RecipientMember, maxErrorLen), text(q.RecipientAgency, maxErrorLen), raw).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // quarantined before
		}
		if err != nil {
			return err
		}
		inserted = true
		_, err = audit.AppendTx(ctx, tx, audit.Record{
			Actor: auditActor, Action: ActionQuarantined, Outcome: audit.Denied,
			Object: audit.Object{Type: audit.ObjectQuarantine, ID: strconv.FormatInt(id, 10)},
			Detail: map[string]string{"reason": string(q.Reason), "stream_seq": strconv.FormatUint(q.StreamSeq, 10)},
		})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("insert quarantined message: %w", err)
	}
	return inserted, nil
}

// ActionQuarantined is the audit action of a message quarantined.
const ActionQuarantined = "message.quarantined"

// quarantineColumns are the columns scanQuarantined reads, in order.
const quarantineColumns = `id, received_at, stream_seq, subject, reason, error, message_id, message_type,
	sender_member, sender_agency, recipient_member, recipient_agency, length(raw), raw,
	state, attempts, last_action, last_action_at, last_action_by, last_action_note, resolved_at`

func scanQuarantined(row pgx.Row) (Quarantined, error) {
	var q Quarantined
	var seq int64
	err := row.Scan(&q.ID, &q.ReceivedAt, &seq, &q.Subject, &q.Reason, &q.Error, &q.MessageID,
		&q.MessageType, &q.SenderMember, &q.SenderAgency, &q.RecipientMember, &q.RecipientAgency,
		&q.Size, &q.Raw, &q.State, &q.Attempts, &q.LastAction, &q.LastActionAt, &q.LastActionBy,
		&q.LastActionNote, &q.ResolvedAt)
	q.StreamSeq = uint64(seq)
	q.ReceivedAt = q.ReceivedAt.UTC()
	for _, t := range []*time.Time{q.LastActionAt, q.ResolvedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return q, err
}

// listQuarantine returns up to limit quarantined messages with ids below
// before (0: from the newest), newest first; only those in state when it
// is set.
func listQuarantine(ctx context.Context, db exchange.DB, state State, before int64, limit int) ([]Quarantined, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.Query(ctx, `
		SELECT `+quarantineColumns+`
		FROM relay_quarantine
		WHERE id < $1 AND ($3 = '' OR state = $3)
		ORDER BY id DESC
		LIMIT $2`, before, limit, string(state))
	if err != nil {
		return nil, fmt.Errorf("list quarantined messages: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Quarantined, error) {
		return scanQuarantined(row)
	})
	if err != nil {
		return nil, fmt.Errorf("list quarantined messages: %w", err)
	}
	return items, nil
}

// getQuarantined returns the quarantined message id; with forUpdate, it
// locks the row until db's transaction ends, so that two people settling
// it at once take turns.
func getQuarantined(ctx context.Context, db exchange.DB, id int64, forUpdate bool) (Quarantined, error) {
	lock := ""
	if forUpdate {
		lock = " FOR UPDATE"
	}
	q, err := scanQuarantined(db.QueryRow(ctx, `SELECT `+quarantineColumns+` FROM relay_quarantine WHERE id = $1`+lock, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Quarantined{}, corridor.Errorf(corridor.KindNotFound, "There is no quarantined message %d.", id)
	}
	if err != nil {
		return Quarantined{}, fmt.Errorf("read quarantined message: %w", err)
	}
	return q, nil
}

// settlement is what a person's action did to a quarantined message.
type settlement struct {
	id     int64
	action Action
	by     string
	note   string
	// state is the message's new state; for a release that failed,
	// StateQuarantined with the new reason and error.
	state  State
	reason Reason
	err    string
}

// settleQuarantined records a settlement on its row: a failed release
// counts one more attempt and keeps the message quarantined.
func settleQuarantined(ctx context.Context, db exchange.DB, s settlement) error {
	_, err := db.Exec(ctx, `
		UPDATE relay_quarantine SET
			state = $2,
			last_action = $3, last_action_at = now(), last_action_by = $4, last_action_note = $5,
			resolved_at = CASE WHEN $2 = 'quarantined' THEN NULL ELSE now() END,
			attempts = attempts + CASE WHEN $2 = 'quarantined' THEN 1 ELSE 0 END,
			reason = CASE WHEN $6 = '' THEN reason ELSE $6 END,
			error = CASE WHEN $7 = '' THEN error ELSE $7 END
		WHERE id = $1`,
		s.id, string(s.state), string(s.action), text(s.by, maxErrorLen), text(s.note, maxErrorLen),
		string(s.reason), text(s.err, maxErrorLen))
	if err != nil {
		return fmt.Errorf("settle quarantined message: %w", err)
	}
	return nil
}

// recordSent remembers the digests of envelopes about to be published, the
// i-th sealed for messageIDs[i], in one statement.
func recordSent(ctx context.Context, db exchange.DB, messageIDs []string, digests [][]byte) error {
	if len(messageIDs) == 0 {
		return nil
	}
	_, err := db.Exec(ctx, `
		INSERT INTO relay_sent_envelopes (message_id, envelope_sha256)
		SELECT * FROM unnest($1::text[], $2::bytea[])
		ON CONFLICT DO NOTHING`, messageIDs, digests)
	if err != nil {
		return fmt.Errorf("record sent envelopes: %w", err)
	}
	return nil
}

// wasSent reports whether an envelope with this digest was sealed for
// messageID.
func wasSent(ctx context.Context, db exchange.DB, messageID string, digest [32]byte) (bool, error) {
	var ok bool
	err := db.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM relay_sent_envelopes WHERE message_id = $1 AND envelope_sha256 = $2)`,
		messageID, digest[:]).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("look up sent envelope: %w", err)
	}
	return ok, nil
}

// Status counts what the relay has in hand. Counts carry no data;
// Quarantined counts the messages still waiting for a person.
type Status struct {
	Unpublished              int64   `json:"unpublished"`
	AwaitingReceipt          int64   `json:"awaiting_receipt"`
	Quarantined              int64   `json:"quarantined"`
	InboxUnapplied           int64   `json:"inbox_unapplied"`
	OldestUnpublishedSeconds float64 `json:"oldest_unpublished_seconds"`
}

func readStatus(ctx context.Context, db exchange.DB) (Status, error) {
	st, err := exchange.ReadStats(ctx, db)
	if err != nil {
		return Status{}, fmt.Errorf("read relay status: %w", err)
	}
	s := Status{
		Unpublished:              st.OutboxUnpublished,
		AwaitingReceipt:          st.OutboxAwaitingReceipt,
		InboxUnapplied:           st.InboxUnapplied,
		OldestUnpublishedSeconds: st.OldestUnpublished.Seconds(),
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM relay_quarantine WHERE state = 'quarantined'`).Scan(&s.Quarantined); err != nil {
		return Status{}, fmt.Errorf("read relay status: %w", err)
	}
	return s, nil
}

// text makes s storable in a text column: valid UTF-8 without NUL bytes,
// at most n bytes. Quarantined messages are hostile input.
func text(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	return truncate(s, n)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
