package exchange

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// OutboxMessage is a row of exchange_outbox: a message the case system has
// decided to send, and the relay's progress in delivering it.
type OutboxMessage struct {
	// Written by the case system.
	MessageID       string              `json:"message_id" validate:"code"` // globally unique, prefixed with the sending member ("ci-…")
	Corridor        string              `json:"corridor" validate:"code"`
	MessageType     MessageType         `json:"message_type" validate:"msgtype"`
	CaseRef         string              `json:"case_ref" validate:"code"`
	ReferralID      string              `json:"referral_id" validate:"code"`
	SenderAgency    string              `json:"sender_agency" validate:"code"`
	RecipientMember corridor.MemberCode `json:"recipient_member" validate:"member"`
	RecipientAgency string              `json:"recipient_agency" validate:"code"`
	// Side is this member's side of the referral the message concerns: the
	// relay names the referral's sender and recipient in tracking events
	// from it, without reading the inbox or the payload.
	Side     Side      `json:"side" validate:"side"`
	Payload  []byte    `json:"payload" validate:"min=1"` // serialized protobuf; never leaves the member unencrypted
	Tracking *Tracking `json:"tracking,omitempty"`       // nil: nothing for the coordinator

	// Written by the database and the relay; Enqueue ignores them.
	CreatedAt       time.Time  `json:"created_at"`
	PublishedAt     *time.Time `json:"published_at,omitempty"`
	PublishAttempts int        `json:"publish_attempts"`
	NextAttemptAt   time.Time  `json:"next_attempt_at"`
	LastError       string     `json:"last_error,omitempty"`
	ReceiptAt       *time.Time `json:"receipt_at,omitempty"`
	Receipt         []byte     `json:"receipt,omitempty"` // the recipient's signed receipt

	// Written by the case system's ClaimReceipts.
	ReceiptTakenAt *time.Time `json:"receipt_taken_at,omitempty"`
}

// Side is a member's side of a referral.
type Side string

// The sides. The outbox's CHECK constraint lists the same.
const (
	SideSender    Side = "sender"    // this member sent the referral
	SideRecipient Side = "recipient" // this member received the referral
)

// Valid reports whether s is one of the sides.
func (s Side) Valid() bool { return s == SideSender || s == SideRecipient }

// ReferralParties are the referral's sender and recipient, member and
// agency, as a message's outbox row implies them.
type ReferralParties struct {
	SenderMember    corridor.MemberCode
	SenderAgency    string
	RecipientMember corridor.MemberCode
	RecipientAgency string
}

// ReferralParties returns the referral's sender and recipient, given that
// this member is self: the side that received the referral sends its
// messages back to the referral's sender.
func (m OutboxMessage) ReferralParties(self corridor.MemberCode) ReferralParties {
	if m.Side == SideRecipient {
		return ReferralParties{
			SenderMember: m.RecipientMember, SenderAgency: m.RecipientAgency,
			RecipientMember: self, RecipientAgency: m.SenderAgency,
		}
	}
	return ReferralParties{
		SenderMember: self, SenderAgency: m.SenderAgency,
		RecipientMember: m.RecipientMember, RecipientAgency: m.RecipientAgency,
	}
}

const outboxColumns = `message_id, corridor, message_type, case_ref, referral_id, sender_agency,
	recipient_member, recipient_agency, side, payload, tracking, created_at, published_at,
	publish_attempts, next_attempt_at, coalesce(last_error, ''), receipt_at, receipt, receipt_taken_at`

func scanOutbox(row pgx.CollectableRow) (OutboxMessage, error) {
	var m OutboxMessage
	err := row.Scan(&m.MessageID, &m.Corridor, &m.MessageType, &m.CaseRef, &m.ReferralID, &m.SenderAgency,
		&m.RecipientMember, &m.RecipientAgency, &m.Side, &m.Payload, &m.Tracking, &m.CreatedAt, &m.PublishedAt,
		&m.PublishAttempts, &m.NextAttemptAt, &m.LastError, &m.ReceiptAt, &m.Receipt, &m.ReceiptTakenAt)
	m.CreatedAt, m.NextAttemptAt = utc(m.CreatedAt), utc(m.NextAttemptAt)
	m.PublishedAt, m.ReceiptAt, m.ReceiptTakenAt = utcPtr(m.PublishedAt), utcPtr(m.ReceiptAt), utcPtr(m.ReceiptTakenAt)
	return m, err
}

func collectOutbox(rows pgx.Rows, err error) ([]OutboxMessage, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanOutbox)
}

// Enqueue adds m to the outbox. It takes the transaction that records the
// case change the message announces, so that the two commit or fail
// together: a change is never lost to the peer, nor announced but undone.
// An invalid message is a KindInvalid error; a message id already queued is
// a KindConflict error.
func Enqueue(ctx context.Context, tx pgx.Tx, m OutboxMessage) error {
	if err := validateOutbox(m); err != nil {
		return err
	}
	if m.Payload == nil {
		m.Payload = []byte{} // a milestone row's: empty, not NULL
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO exchange_outbox (message_id, corridor, message_type, case_ref, referral_id,
			sender_agency, recipient_member, recipient_agency, side, payload, tracking)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		m.MessageID, m.Corridor, m.MessageType, m.CaseRef, m.ReferralID,
		m.SenderAgency, m.RecipientMember, m.RecipientAgency, m.Side, m.Payload, m.Tracking)
	if isUniqueViolation(err) {
		return &corridor.Error{Kind: corridor.KindConflict, Message: "message id already in the outbox", Err: err}
	}
	if err != nil {
		return fmt.Errorf("enqueue message: %w", err)
	}
	if m.MessageType == TypeMilestone {
		return nil // not a message: nothing leaves the member
	}
	if err := appendAudit(ctx, tx, auditRecord(ctx, ActionQueued, m.MessageID, m.MessageType, m.ReferralID, string(m.RecipientMember))); err != nil {
		return fmt.Errorf("enqueue message: %w", err)
	}
	return nil
}

// validateOutbox checks m; a milestone row (TypeMilestone) must carry
// tracking and no payload, and its other fields are checked as a message's.
func validateOutbox(m OutboxMessage) error {
	if m.MessageType != TypeMilestone {
		return validate("outbox message", m)
	}
	if len(m.Payload) > 0 {
		return corridor.Invalid("invalid outbox message", corridor.FieldError{Field: "payload", Message: "must be empty in a milestone row"})
	}
	if m.Tracking == nil {
		return corridor.Invalid("invalid outbox message", corridor.FieldError{Field: "tracking", Message: "is required in a milestone row"})
	}
	m.MessageType, m.Payload = TypeStatusChange, []byte{0} // stand-ins for the checks that do not apply
	return validate("outbox message", m)
}

// ClaimUnpublished returns up to limit outbox messages that are due for
// publishing, oldest first, and leases them for lease: until it runs out no
// other ClaimUnpublished returns them, so two relays never publish the same
// message at once, and one that crashes mid-publish leaves its messages to
// be claimed again. Each claim counts as a publish attempt. Follow it with
// MarkPublished or MarkPublishFailed.
func ClaimUnpublished(ctx context.Context, db DB, limit int, lease time.Duration) ([]OutboxMessage, error) {
	msgs, err := collectOutbox(db.Query(ctx, `
		UPDATE exchange_outbox
		SET publish_attempts = publish_attempts + 1,
			next_attempt_at = now() + make_interval(secs => $2)
		WHERE message_id IN (
			SELECT message_id FROM exchange_outbox
			WHERE published_at IS NULL AND next_attempt_at <= now()
			ORDER BY next_attempt_at, created_at, message_id
			LIMIT $1
			FOR UPDATE SKIP LOCKED)
		RETURNING `+outboxColumns,
		limit, lease.Seconds()))
	if err != nil {
		return nil, fmt.Errorf("claim unpublished messages: %w", err)
	}
	sortOutbox(msgs)
	return msgs, nil
}

// MarkPublished records that the message was published to the transport.
// That is not delivery: the message is re-sent (see DueForResend) until its
// receipt is recorded.
func MarkPublished(ctx context.Context, db DB, messageID string) error {
	n, err := MarkPublishedBatch(ctx, db, []string{messageID})
	if err != nil {
		return err
	}
	if n == 0 {
		return notInOutbox()
	}
	return nil
}

// MarkPublishedBatch is MarkPublished for several messages in one
// transaction (db's, if it is one): a relay publishes a claimed batch
// together and records it with one commit, the audit entries included. It
// returns how many rows it marked; ids not in the outbox are skipped.
func MarkPublishedBatch(ctx context.Context, db DB, messageIDs []string) (int64, error) {
	if len(messageIDs) == 0 {
		return 0, nil
	}
	var n int64
	err := inTx(ctx, db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			UPDATE exchange_outbox SET published_at = now(), last_error = NULL
			WHERE message_id = ANY($1::text[])
			RETURNING message_id, message_type, referral_id, recipient_member, publish_attempts`, messageIDs)
		if err != nil {
			return err
		}
		recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (audit.Record, error) {
			var id, referral, member string
			var typ MessageType
			var attempts int
			err := row.Scan(&id, &typ, &referral, &member, &attempts)
			return auditRecord(ctx, ActionSent, id, typ, referral, member, "attempt", itoa(attempts)), err
		})
		if err != nil {
			return err
		}
		// UPDATE … RETURNING keeps no order: entries go in message id order.
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].Object.ID < recs[j].Object.ID })
		n = int64(len(recs))
		return appendAudit(ctx, tx, recs...)
	})
	if err != nil {
		return 0, fmt.Errorf("mark messages published: %w", err)
	}
	return n, nil
}

// MarkPublishFailed records why publishing failed and when to try again.
// errMsg is stored and shown to operators: it must not contain personal
// data.
func MarkPublishFailed(ctx context.Context, db DB, messageID, errMsg string, retryAt time.Time) error {
	tag, err := db.Exec(ctx, `
		UPDATE exchange_outbox SET last_error = $2, next_attempt_at = $3
		WHERE message_id = $1`, messageID, truncate(errMsg, maxErrorLen), retryAt)
	if err != nil {
		return fmt.Errorf("mark message publish failed: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return notInOutbox()
	}
	return nil
}

// DueForResend claims up to limit published messages that still have no
// receipt and whose wait has passed, oldest first. The wait doubles with
// each sending (base, 2×base, 4×base, … at most max), so a recipient that is
// down for a day is not sent the same message every few minutes;
// publish_attempts counts every sending, the first included, so the wait
// after the n-th is base × 2^(n-1). Claiming moves published_at to now and
// counts an attempt, so two relays never re-send one message at once.
// Re-sending is safe because the recipient drops duplicates. Milestone rows
// go to no member and await no receipt.
func DueForResend(ctx context.Context, db DB, base, max time.Duration, limit int) ([]OutboxMessage, error) {
	msgs, err := collectOutbox(db.Query(ctx, `
		UPDATE exchange_outbox
		SET published_at = now(), publish_attempts = publish_attempts + 1
		WHERE message_id IN (
			SELECT message_id FROM exchange_outbox
			WHERE published_at IS NOT NULL AND receipt_at IS NULL AND message_type <> 'milestone'
				AND published_at <= now() - least(
					make_interval(secs => $1 * power(2, least(greatest(publish_attempts - 1, 0), 30))),
					make_interval(secs => $2))
			ORDER BY published_at, message_id
			LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING `+outboxColumns,
		base.Seconds(), max.Seconds(), limit))
	if err != nil {
		return nil, fmt.Errorf("claim messages for resend: %w", err)
	}
	sortOutbox(msgs)
	return msgs, nil
}

// RecordReceipt stores the recipient's signed receipt for a message, which
// proves delivery; the caller has verified it. It reports false when the
// message already had a receipt (the recipient answers every duplicate),
// and returns a KindNotFound error for a message that is not in the outbox.
// A receipt also marks an unmarked message published: the relay may have
// stopped between publishing and recording it.
func RecordReceipt(ctx context.Context, db DB, messageID string, at time.Time, receipt []byte) (bool, error) {
	results, err := RecordReceiptBatch(ctx, db, []Receipt{{MessageID: messageID, At: at, Receipt: receipt}})
	if err != nil {
		return false, err
	}
	return results[0].Recorded, results[0].Err
}

// Receipt is a recipient's signed receipt for one outbox message, received
// at At.
type Receipt struct {
	MessageID string
	At        time.Time
	Receipt   []byte
}

// ReceiptResult is what RecordReceiptBatch did with one receipt: Recorded
// as RecordReceipt reports it, or Err, that receipt's own error (an empty
// receipt, a message not in the outbox).
type ReceiptResult struct {
	Recorded bool
	Err      error
}

// RecordReceiptBatch is RecordReceipt for several receipts, in one
// statement and one transaction with their audit entries: one commit where
// a relay that reads receipts in batches would make one per receipt. It returns one result per receipt, in order; the
// error is the statement's, and then nothing is recorded. Two copies of
// one message's receipt in a batch record the first: the second is
// reported as not recorded, as it would be a moment later.
func RecordReceiptBatch(ctx context.Context, db DB, receipts []Receipt) ([]ReceiptResult, error) {
	results := make([]ReceiptResult, len(receipts))
	var ids []string
	var ats []time.Time
	var bodies [][]byte
	var index []int // of each row sent, in receipts
	for i, rc := range receipts {
		if len(rc.Receipt) == 0 {
			results[i].Err = corridor.Invalid("empty receipt", corridor.FieldError{Field: "receipt", Message: "must not be empty"})
			continue
		}
		ids, ats, bodies, index = append(ids, rc.MessageID), append(ats, rc.At), append(bodies, rc.Receipt), append(index, i)
	}
	if len(ids) == 0 {
		return results, nil
	}
	// The first copy of each message's receipt updates its row; every
	// receipt learns whether its own row was updated and whether its
	// message exists (read from the snapshot before the update, which
	// the update does not change). Each receipt recorded is in the audit
	// trail, in the same transaction.
	err := inTx(ctx, db, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH input AS (
				SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bytea[])
					WITH ORDINALITY AS r(message_id, at, receipt, ord)),
			firsts AS (
				SELECT DISTINCT ON (message_id) message_id, at, receipt, ord
				FROM input ORDER BY message_id, ord),
			updated AS (
				UPDATE exchange_outbox o
				SET receipt_at = f.at, receipt = f.receipt, published_at = coalesce(o.published_at, f.at)
				FROM firsts f
				WHERE o.message_id = f.message_id AND o.receipt_at IS NULL
				RETURNING f.ord, o.message_type, o.referral_id, o.recipient_member)
			SELECT i.ord, u.ord IS NOT NULL,
				EXISTS (SELECT 1 FROM exchange_outbox o WHERE o.message_id = i.message_id),
				u.message_type, u.referral_id, u.recipient_member
			FROM input i LEFT JOIN updated u ON u.ord = i.ord
			ORDER BY i.ord`, ids, ats, bodies)
		if err != nil {
			return err
		}
		defer rows.Close()
		var recs []audit.Record
		seen := 0
		for rows.Next() {
			var ord int64
			var recorded, exists bool
			var typ *MessageType
			var referral, member *string
			if err := rows.Scan(&ord, &recorded, &exists, &typ, &referral, &member); err != nil {
				return err
			}
			if ord < 1 || int(ord) > len(index) {
				return fmt.Errorf("row %d of %d", ord, len(index))
			}
			i := index[ord-1]
			results[i] = ReceiptResult{Recorded: recorded}
			if !exists {
				results[i].Err = notInOutbox()
			}
			if recorded {
				recs = append(recs, auditRecord(ctx, ActionDelivered, receipts[i].MessageID, *typ, *referral, *member))
			}
			seen++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if seen != len(index) {
			return fmt.Errorf("%d results for %d receipts", seen, len(index))
		}
		if len(recs) == 0 {
			return nil
		}
		return appendAudit(ctx, tx, recs...)
	})
	if err != nil {
		return nil, fmt.Errorf("record receipts: %w", err)
	}
	return results, nil
}

// ClaimReceipts is how the case system learns of deliveries: it returns up
// to limit outbox messages of type t whose receipt is recorded and not yet
// taken, oldest receipt first, and marks them taken in tx. Act on them in
// the same transaction: if it rolls back, they are offered again.
// Concurrent callers skip each other's rows.
func ClaimReceipts(ctx context.Context, tx pgx.Tx, t MessageType, limit int) ([]OutboxMessage, error) {
	msgs, err := collectOutbox(tx.Query(ctx, `
		UPDATE exchange_outbox SET receipt_taken_at = now()
		WHERE message_id IN (
			SELECT message_id FROM exchange_outbox
			WHERE message_type = $1 AND receipt_at IS NOT NULL AND receipt_taken_at IS NULL
			ORDER BY receipt_at, message_id
			LIMIT $2
			FOR UPDATE SKIP LOCKED)
		RETURNING `+outboxColumns, t, limit))
	if err != nil {
		return nil, fmt.Errorf("claim receipts: %w", err)
	}
	sort.SliceStable(msgs, func(i, j int) bool {
		if !msgs[i].ReceiptAt.Equal(*msgs[j].ReceiptAt) {
			return msgs[i].ReceiptAt.Before(*msgs[j].ReceiptAt)
		}
		return msgs[i].MessageID < msgs[j].MessageID
	})
	return msgs, nil
}

// GetOutbox returns one outbox message, or a KindNotFound error.
func GetOutbox(ctx context.Context, db DB, messageID string) (OutboxMessage, error) {
	rows, err := db.Query(ctx, `SELECT `+outboxColumns+` FROM exchange_outbox WHERE message_id = $1`, messageID)
	if err != nil {
		return OutboxMessage{}, fmt.Errorf("get outbox message: %w", err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanOutbox)
	if errors.Is(err, pgx.ErrNoRows) {
		return OutboxMessage{}, notInOutbox()
	}
	if err != nil {
		return OutboxMessage{}, fmt.Errorf("get outbox message: %w", err)
	}
	return m, nil
}

func notInOutbox() error {
	return corridor.Errorf(corridor.KindNotFound, "message not in the outbox")
}

// sortOutbox restores the order UPDATE … RETURNING does not keep.
func sortOutbox(msgs []OutboxMessage) {
	sort.SliceStable(msgs, func(i, j int) bool {
		if !msgs[i].CreatedAt.Equal(msgs[j].CreatedAt) {
			return msgs[i].CreatedAt.Before(msgs[j].CreatedAt)
		}
		return msgs[i].MessageID < msgs[j].MessageID
	})
}
