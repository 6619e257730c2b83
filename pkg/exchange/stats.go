package exchange

import (
	"context"
	"fmt"
	"time"
)

// Stats counts what the exchange tables hold in flight. Counts carry no
// data, so they are safe for status pages and metrics.
type Stats struct {
	// OutboxUnpublished: messages the relay has yet to publish.
	OutboxUnpublished int64
	// OutboxAwaitingReceipt: messages published without a receipt yet.
	OutboxAwaitingReceipt int64
	// OldestUnpublished: how long the oldest unpublished message has
	// waited; zero when there is none.
	OldestUnpublished time.Duration
	// InboxUnapplied: received messages the case system has yet to apply,
	// the failed ones included.
	InboxUnapplied int64
}

// ReadStats counts the exchange tables' messages in flight.
func ReadStats(ctx context.Context, db DB) (Stats, error) {
	var s Stats
	var oldest *float64
	err := db.QueryRow(ctx, `
		SELECT
			(SELECT count(*) FROM exchange_outbox WHERE published_at IS NULL),
			(SELECT count(*) FROM exchange_outbox WHERE published_at IS NOT NULL AND receipt_at IS NULL AND message_type <> 'milestone'),
			(SELECT extract(epoch FROM now() - min(created_at))::float8 FROM exchange_outbox WHERE published_at IS NULL),
			(SELECT count(*) FROM exchange_inbox WHERE applied_at IS NULL)`,
	).Scan(&s.OutboxUnpublished, &s.OutboxAwaitingReceipt, &oldest, &s.InboxUnapplied)
	if err != nil {
		return Stats{}, fmt.Errorf("read exchange stats: %w", err)
	}
	if oldest != nil {
		s.OldestUnpublished = time.Duration(max(*oldest, 0) * float64(time.Second))
	}
	return s, nil
}
