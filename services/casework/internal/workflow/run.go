package workflow

import (
	"context"
	"log/slog"
	"time"

	"github.com/corridor-org/corridor/pkg/exchange"
)

// RunApplier applies inbox messages and receipts until ctx ends. It wakes on
// the notifications of exchange_inbox and exchange_receipt and on a poll
// every interval, since notifications sent while it is disconnected are
// lost and failed messages become due again without one.
func (s *Service) RunApplier(ctx context.Context, interval time.Duration) {
	inbox := exchange.Listen(ctx, s.pool, exchange.ChannelInbox, s.logger)
	receipts := exchange.Listen(ctx, s.pool, exchange.ChannelReceipt, s.logger)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		s.drain(ctx)
		select {
		case <-ctx.Done():
			<-inbox.Done()
			<-receipts.Done()
			return
		case <-inbox.C:
		case <-receipts.C:
		case <-ticker.C:
		}
	}
}

// drain applies batches until none is full. Errors are the database's: they
// are logged and retried on the next wake-up.
func (s *Service) drain(ctx context.Context) {
	for _, step := range []struct {
		name  string
		apply func(context.Context) (int, error)
	}{{"inbox", s.ApplyInbox}, {"receipts", s.ApplyReceipts}} {
		for ctx.Err() == nil {
			n, err := step.apply(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.logger.LogAttrs(ctx, slog.LevelError, "applier pass failed",
						slog.String("step", step.name), slog.String("error", err.Error()))
				}
				break
			}
			if n < applyBatch {
				break
			}
		}
	}
}
