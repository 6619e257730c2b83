package exchange

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// InboxMessage is a row of exchange_inbox: a message the relay received,
// verified and opened, and the case system's progress in applying it.
type InboxMessage struct {
	// Written by the relay.
	MessageID       string              `json:"message_id" validate:"code"`
	Corridor        string              `json:"corridor" validate:"code"`
	MessageType     MessageType         `json:"message_type" validate:"msgtype"`
	CaseRef         string              `json:"case_ref" validate:"code"`
	ReferralID      string              `json:"referral_id" validate:"code"`
	SenderMember    corridor.MemberCode `json:"sender_member" validate:"member"`
	SenderAgency    string              `json:"sender_agency" validate:"code"`
	RecipientAgency string              `json:"recipient_agency" validate:"code"`
	SentAt          time.Time           `json:"sent_at" validate:"required"`
	ReceivedAt      time.Time           `json:"received_at"`              // zero: the time of insertion
	Payload         []byte              `json:"payload" validate:"min=1"` // the opened plaintext
	// EnvelopeSHA256 is the digest of the envelope as received (optional):
	// the receipt of every copy names the first copy's.
	EnvelopeSHA256 []byte `json:"envelope_sha256,omitempty" validate:"omitempty,len=32"`
	// PayloadSHA256 is the payload's digest; InsertInbox computes it.
	PayloadSHA256 []byte `json:"payload_sha256,omitempty"`

	// Written by the case system; InsertInbox ignores them.
	AppliedAt     *time.Time `json:"applied_at,omitempty"`
	ApplyAttempts int        `json:"apply_attempts"`
	ApplyError    string     `json:"apply_error,omitempty"`
	NextApplyAt   time.Time  `json:"next_apply_at"` // zero once GaveUp
	GaveUp        bool       `json:"gave_up"`       // failed MaxApplyAttempts times: waits for RetryInbox
}

// maxApplyBackoff caps the wait between attempts to apply a message that
// failed: long enough not to churn, short enough that a message waiting on
// one that arrives later is applied soon after.
const maxApplyBackoff = time.Hour

// inboxMetaColumns are every inbox column but the payload: what an operator
// sees of a failed message (ids, codes and the failure, never the personal
// data inside), and the listing does not even read the payload.
const inboxMetaColumns = `message_id, corridor, message_type, case_ref, referral_id, sender_member,
	sender_agency, recipient_agency, sent_at, received_at, applied_at, apply_attempts,
	coalesce(apply_error, ''), CASE WHEN isfinite(next_apply_at) THEN next_apply_at END,
	payload_sha256, envelope_sha256`

const inboxColumns = inboxMetaColumns + `, payload`

func scanInbox(row pgx.CollectableRow) (InboxMessage, error) {
	var payload []byte
	m, err := scanInboxMeta(row, &payload)
	m.Payload = payload
	return m, err
}

// scanInboxMeta scans inboxMetaColumns, then any extra columns into extra.
func scanInboxMeta(row pgx.CollectableRow, extra ...any) (InboxMessage, error) {
	var m InboxMessage
	var next *time.Time // NULL once the case system gave up on the message
	dest := append([]any{&m.MessageID, &m.Corridor, &m.MessageType, &m.CaseRef, &m.ReferralID,
		&m.SenderMember, &m.SenderAgency, &m.RecipientAgency, &m.SentAt, &m.ReceivedAt, &m.AppliedAt,
		&m.ApplyAttempts, &m.ApplyError, &next, &m.PayloadSHA256, &m.EnvelopeSHA256}, extra...)
	if err := row.Scan(dest...); err != nil {
		return m, err
	}
	if next != nil {
		m.NextApplyAt = *next
	} else {
		m.GaveUp = true
	}
	m.SentAt, m.ReceivedAt, m.NextApplyAt = utc(m.SentAt), utc(m.ReceivedAt), utc(m.NextApplyAt)
	m.AppliedAt = utcPtr(m.AppliedAt)
	return m, nil
}

func collectInbox(rows pgx.Rows, err error) ([]InboxMessage, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanInbox)
}

// ErrConflictingDuplicate is wrapped by InsertInbox's error for a message
// whose identity (sender member, message id) is already in the inbox with
// another type, case reference or payload: not a copy of the stored
// message but an attempt to pass off another under its identity.
var ErrConflictingDuplicate = errors.New("conflicting duplicate")

// MessageIDPrefix is what every message id member mints starts with
// ("bf-" for BF): a member cannot send under another member's ids.
func MessageIDPrefix(member corridor.MemberCode) string { return member.Domain() + "-" }

// InsertInbox stores a received message and reports whether it was new. A
// message's identity is its sender member and message id, and the id must
// start with the sender's prefix (MessageIDPrefix), or the message is
// invalid (KindInvalid). A copy of a message seen before, however long ago,
// is dropped and reported as not inserted: the sender re-sends until it has
// a receipt, so duplicates are normal, and the relay answers them with a
// receipt once this returns. A "copy" whose type, case reference or
// payload digest differs from the stored message is refused with a
// KindConflict error wrapping ErrConflictingDuplicate, and must not be
// answered.
func InsertInbox(ctx context.Context, db DB, m InboxMessage) (bool, error) {
	if err := checkInbox(m); err != nil {
		return false, err
	}
	var res InboxInsert
	err := inTx(ctx, db, func(tx pgx.Tx) error {
		res = insertInboxRow(ctx, tx, m)
		return res.Err
	})
	if err != nil && res.Err == nil {
		res = InboxInsert{Err: fmt.Errorf("insert inbox message: %w", err)}
	}
	return res.Inserted, res.Err
}

// insertInboxRow inserts m in tx and, if it is new, records it in the
// audit trail.
func insertInboxRow(ctx context.Context, tx pgx.Tx, m InboxMessage) InboxInsert {
	q, args := insertInboxQuery(m)
	res := scanInboxInsert(tx.QueryRow(ctx, q, args...))
	if res.Err == nil && res.Inserted {
		if err := appendAudit(ctx, tx, receivedRecord(ctx, m)); err != nil {
			return InboxInsert{Err: fmt.Errorf("insert inbox message: %w", err)}
		}
	}
	return res
}

func receivedRecord(ctx context.Context, m InboxMessage) audit.Record {
	return auditRecord(ctx, ActionReceived, m.MessageID, m.MessageType, m.ReferralID, string(m.SenderMember))
}

// InboxInsert is what InsertInboxBatch did with one message.
type InboxInsert struct {
	// Inserted: the message is new; otherwise it is a copy of the stored one.
	Inserted bool
	// ReceivedAt and EnvelopeSHA256 are the stored row's: the first
	// copy's, which the receipt of every copy names.
	ReceivedAt     time.Time
	EnvelopeSHA256 []byte
	// Err is InsertInbox's error for this message: KindInvalid, KindConflict
	// wrapping ErrConflictingDuplicate, or a failure that may pass.
	Err error
}

// InsertInboxBatch is InsertInbox for several messages, with one commit:
// the statements are pipelined in one transaction. Each message keeps
// InsertInbox's rules (identity, duplicates, conflicting duplicates) and
// gets its own result, in the order of msgs; an invalid or conflicting
// message fails alone. Should the transaction fail as a whole (one row
// refused by the database, say), every message is inserted again on its
// own, so that a bad one cannot fail the others.
func InsertInboxBatch(ctx context.Context, db Beginner, msgs []InboxMessage) []InboxInsert {
	results := make([]InboxInsert, len(msgs))
	valid := make([]int, 0, len(msgs))
	for i, m := range msgs {
		if err := checkInbox(m); err != nil {
			results[i].Err = err
			continue
		}
		valid = append(valid, i)
	}
	if len(valid) == 0 {
		return results
	}
	if err := insertInboxTx(ctx, db, msgs, valid, results); err == nil {
		return results
	}
	// One at a time: each message's failure is its own.
	for _, i := range valid {
		tx, err := db.Begin(ctx)
		if err != nil {
			results[i] = InboxInsert{Err: fmt.Errorf("insert inbox message: %w", err)}
			continue
		}
		results[i] = insertInboxRow(ctx, tx, msgs[i])
		if results[i].Err != nil {
			_ = tx.Rollback(ctx)
			continue
		}
		if err := tx.Commit(ctx); err != nil {
			results[i] = InboxInsert{Err: fmt.Errorf("insert inbox message: %w", err)}
		}
	}
	return results
}

// Beginner starts transactions: a *pgxpool.Pool or a *pgx.Conn.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// insertInboxTx inserts msgs[valid...] in one transaction and fills their
// results; it returns an error, and leaves nothing stored, when any
// statement fails for a reason other than a conflicting duplicate.
func insertInboxTx(ctx context.Context, db Beginner, msgs []InboxMessage, valid []int, results []InboxInsert) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("insert inbox messages: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	b := &pgx.Batch{}
	for _, i := range valid {
		q, args := insertInboxQuery(msgs[i])
		b.Queue(q, args...)
	}
	br := tx.SendBatch(ctx, b)
	batch := make([]InboxInsert, len(valid))
	var failed error
	for k := range valid {
		batch[k] = scanInboxInsert(br.QueryRow())
		if batch[k].Err != nil && !errors.Is(batch[k].Err, ErrConflictingDuplicate) && failed == nil {
			failed = batch[k].Err
		}
	}
	if err := br.Close(); err != nil && failed == nil {
		failed = fmt.Errorf("insert inbox messages: %w", err)
	}
	if failed != nil {
		return failed
	}
	var recs []audit.Record
	for k, i := range valid {
		if batch[k].Err == nil && batch[k].Inserted {
			recs = append(recs, receivedRecord(ctx, msgs[i]))
		}
	}
	if err := appendAudit(ctx, tx, recs...); err != nil {
		return fmt.Errorf("insert inbox messages: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("insert inbox messages: %w", err)
	}
	for k, i := range valid {
		results[i] = batch[k]
	}
	return nil
}

// checkInbox is what InsertInbox checks before the database.
func checkInbox(m InboxMessage) error {
	if err := validate("inbox message", m); err != nil {
		return err
	}
	if !strings.HasPrefix(m.MessageID, MessageIDPrefix(m.SenderMember)) {
		return corridor.Invalid("message id of another member", corridor.FieldError{
			Field: "message_id", Message: "must start with the sender's prefix " + MessageIDPrefix(m.SenderMember)})
	}
	return nil
}

// insertInboxQuery inserts m unless its identity is stored, and returns one
// row either way: whether it inserted, the stored row's received_at and
// envelope digest, and whether the stored row is the same message (type,
// case, payload). A row inserted by another transaction since the
// statement began is seen by neither half: no row, a failure that passes.
func insertInboxQuery(m InboxMessage) (string, []any) {
	digest := sha256.Sum256(m.Payload)
	var receivedAt *time.Time
	if !m.ReceivedAt.IsZero() {
		receivedAt = &m.ReceivedAt
	}
	return `
		WITH ins AS (
			INSERT INTO exchange_inbox (message_id, corridor, message_type, case_ref, referral_id,
				sender_member, sender_agency, recipient_agency, sent_at, received_at, payload,
				payload_sha256, envelope_sha256)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, now()), $11, $12, $13)
			ON CONFLICT (sender_member, message_id) DO NOTHING
			RETURNING received_at, envelope_sha256)
		SELECT true, received_at, envelope_sha256, true FROM ins
		UNION ALL
		SELECT false, received_at, envelope_sha256,
			message_type = $3 AND case_ref = $4 AND payload_sha256 = $12
		FROM exchange_inbox
		WHERE sender_member = $6 AND message_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)`,
		[]any{m.MessageID, m.Corridor, m.MessageType, m.CaseRef, m.ReferralID,
			m.SenderMember, m.SenderAgency, m.RecipientAgency, m.SentAt, receivedAt, m.Payload,
			digest[:], m.EnvelopeSHA256}
}

func scanInboxInsert(row pgx.Row) InboxInsert {
	var res InboxInsert
	var same bool
	err := row.Scan(&res.Inserted, &res.ReceivedAt, &res.EnvelopeSHA256, &same)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return InboxInsert{Err: errors.New("insert inbox message: the same message is being stored concurrently")}
	case err != nil:
		return InboxInsert{Err: fmt.Errorf("insert inbox message: %w", err)}
	case !same:
		return InboxInsert{Err: &corridor.Error{Kind: corridor.KindConflict,
			Message: "a message under this sender and id is already in the inbox with another type, case or payload",
			Err:     ErrConflictingDuplicate}}
	}
	res.ReceivedAt = utc(res.ReceivedAt)
	return res
}

// ClaimInbox returns up to limit messages due to be applied, in the order
// they were sent, locked until tx ends so that another case-system instance
// skips them. Apply each one inside a savepoint (tx.Begin) and then call
// MarkApplied, or roll the savepoint back and call MarkApplyFailed, both in
// tx.
func ClaimInbox(ctx context.Context, tx pgx.Tx, limit int) ([]InboxMessage, error) {
	msgs, err := collectInbox(tx.Query(ctx, `
		SELECT `+inboxColumns+` FROM exchange_inbox
		WHERE applied_at IS NULL AND next_apply_at <= now()
		ORDER BY sent_at, received_at, message_id
		LIMIT $1
		FOR UPDATE SKIP LOCKED`, limit))
	if err != nil {
		return nil, fmt.Errorf("claim inbox messages: %w", err)
	}
	return msgs, nil
}

// MarkApplied records that the case system applied the message. Marking a
// message that is not in the inbox, or already applied, is a KindNotFound
// error.
func MarkApplied(ctx context.Context, db DB, messageID string) error {
	tag, err := db.Exec(ctx, `
		UPDATE exchange_inbox SET applied_at = now(), apply_error = NULL
		WHERE message_id = $1 AND applied_at IS NULL`, messageID)
	if err != nil {
		return fmt.Errorf("mark message applied: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notInInbox()
	}
	return nil
}

// MarkApplyFailed records why the message could not be applied. The message
// stays in the inbox, listed by ListFailedInbox, and is offered again after
// a wait that doubles with each failure up to an hour: a message that came
// before the one it depends on applies once that one arrives. After
// MaxApplyAttempts failures it is no longer offered (next_apply_at becomes
// infinity): it waits, visible, for an operator to correct the cause and
// call RetryInbox, so a message that can never apply is not retried forever.
// reason is shown to operators: it must not contain personal data.
func MarkApplyFailed(ctx context.Context, db DB, messageID, reason string) error {
	tag, err := db.Exec(ctx, `
		UPDATE exchange_inbox
		SET apply_attempts = apply_attempts + 1,
			apply_error = $2,
			next_apply_at = CASE WHEN apply_attempts + 1 >= $4 THEN 'infinity'::timestamptz
				ELSE now() + least(
					make_interval(secs => power(2, least(apply_attempts, 30))),
					make_interval(secs => $3)) END
		WHERE message_id = $1 AND applied_at IS NULL`,
		messageID, truncate(reason, maxErrorLen), maxApplyBackoff.Seconds(), MaxApplyAttempts)
	if err != nil {
		return fmt.Errorf("mark message apply failed: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notInInbox()
	}
	return nil
}

// MaxApplyAttempts is how many times a case system tries to apply an inbox
// message before it stops offering it and leaves it to an operator.
const MaxApplyAttempts = 16

// RetryInbox offers the failed message messageID again at once, with a
// fresh count of attempts, and wakes the case system (the insert trigger
// does not fire for an update): what an operator does after correcting the
// cause. It returns the message as re-offered, without its payload, or a
// KindNotFound error when no failed, unapplied message has that id. The
// last apply_error stays until the message applies.
func RetryInbox(ctx context.Context, db DB, messageID string) (InboxMessage, error) {
	var m InboxMessage
	err := inTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		if m, err = retryInbox(ctx, tx, messageID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, auditRecord(ctx, ActionRetried, m.MessageID, m.MessageType, m.ReferralID, string(m.SenderMember)))
	})
	if err != nil {
		return InboxMessage{}, err
	}
	return m, nil
}

// retryInbox is RetryInbox's change, in tx.
func retryInbox(ctx context.Context, tx pgx.Tx, messageID string) (InboxMessage, error) {
	rows, err := tx.Query(ctx, `
		WITH retried AS (
			UPDATE exchange_inbox SET apply_attempts = 0, next_apply_at = now()
			WHERE message_id = $1 AND `+failedWhere+`
			RETURNING *
		)
		SELECT `+inboxMetaColumns+`, pg_notify($2, message_id) IS NULL FROM retried`,
		messageID, ChannelInbox)
	if err != nil {
		return InboxMessage{}, fmt.Errorf("retry inbox message: %w", err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (InboxMessage, error) {
		var notified bool
		return scanInboxMeta(row, &notified)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return InboxMessage{}, corridor.Errorf(corridor.KindNotFound,
			"No failed inbox message has this id (unknown, or applied since).")
	}
	if err != nil {
		return InboxMessage{}, fmt.Errorf("retry inbox message: %w", err)
	}
	return m, nil
}

// failedWhere selects the messages an operator must look at: not applied,
// and failed at least once. A message offered again keeps its last failure
// until it applies, so it stays listed until then.
const failedWhere = `applied_at IS NULL AND apply_error IS NOT NULL`

// FailedCursor is where a page of failed inbox messages ends: the next page
// holds the messages received before this one. Received time and message
// id together order every message, ties included.
type FailedCursor struct {
	ReceivedAt time.Time
	MessageID  string
}

// ListFailedInbox returns up to limit messages that failed to apply, newest
// first, starting after before (nil: from the newest), without payloads,
// and the cursor of the next page (nil on the last). Newest first, so that
// messages given up on long ago cannot hide a failure happening now.
func ListFailedInbox(ctx context.Context, db DB, before *FailedCursor, limit int) ([]InboxMessage, *FailedCursor, error) {
	var afterTime *time.Time
	var afterID string
	if before != nil {
		afterTime, afterID = &before.ReceivedAt, before.MessageID
	}
	// One more than asked tells whether another page follows.
	rows, err := db.Query(ctx, `
		SELECT `+inboxMetaColumns+` FROM exchange_inbox
		WHERE `+failedWhere+`
			AND ($2::timestamptz IS NULL OR (received_at, message_id) < ($2::timestamptz, $3::text))
		ORDER BY received_at DESC, message_id DESC
		LIMIT $1`, limit+1, afterTime, afterID)
	if err != nil {
		return nil, nil, fmt.Errorf("list failed inbox messages: %w", err)
	}
	msgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (InboxMessage, error) { return scanInboxMeta(row) })
	if err != nil {
		return nil, nil, fmt.Errorf("list failed inbox messages: %w", err)
	}
	if len(msgs) <= limit {
		return msgs, nil, nil
	}
	last := msgs[limit-1]
	return msgs[:limit], &FailedCursor{ReceivedAt: last.ReceivedAt, MessageID: last.MessageID}, nil
}

// GetInbox returns one inbox message, or a KindNotFound error.
func GetInbox(ctx context.Context, db DB, messageID string) (InboxMessage, error) {
	rows, err := db.Query(ctx, `SELECT `+inboxColumns+` FROM exchange_inbox WHERE message_id = $1`, messageID)
	if err != nil {
		return InboxMessage{}, fmt.Errorf("get inbox message: %w", err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanInbox)
	if errors.Is(err, pgx.ErrNoRows) {
		return InboxMessage{}, notInInbox()
	}
	if err != nil {
		return InboxMessage{}, fmt.Errorf("get inbox message: %w", err)
	}
	return m, nil
}

func notInInbox() error {
	return corridor.Errorf(corridor.KindNotFound, "message not in the inbox (or already applied)")
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
