package exchange

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reported is what this member reported to the coordinator in a time
// range, as its own tables hold it: the published outbox rows that carry a
// milestone (each one's tracking event is dated by the row's created_at)
// and the referrals received (the recipient's referral_delivered, dated by
// the row's received_at). A member checks the coordinator's published
// figures against it (corridorctl indicators verify). Payloads are not
// read.
type Reported struct {
	Outbox []OutboxMessage
	Inbox  []InboxMessage
}

// ReportedBetween returns what this member reported with a time in
// [from, to).
func ReportedBetween(ctx context.Context, db DB, from, to time.Time) (Reported, error) {
	outboxNoPayload := strings.Replace(outboxColumns, "payload,", "''::bytea,", 1)
	out, err := collectOutbox(db.Query(ctx, `
		SELECT `+outboxNoPayload+`
		FROM exchange_outbox
		WHERE tracking IS NOT NULL AND coalesce(tracking->>'milestone', '') <> ''
			AND published_at IS NOT NULL AND created_at >= $1 AND created_at < $2
		ORDER BY created_at, message_id`, from, to))
	if err != nil {
		return Reported{}, fmt.Errorf("read reported milestones: %w", err)
	}
	rows, err := db.Query(ctx, `
		SELECT `+inboxMetaColumns+`
		FROM exchange_inbox
		WHERE message_type = $1 AND received_at >= $2 AND received_at < $3
		ORDER BY received_at, message_id`, TypeReferral, from, to)
	if err != nil {
		return Reported{}, fmt.Errorf("read received referrals: %w", err)
	}
	in, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (InboxMessage, error) { return scanInboxMeta(row) })
	if err != nil {
		return Reported{}, fmt.Errorf("read received referrals: %w", err)
	}
	return Reported{Outbox: out, Inbox: in}, nil
}
