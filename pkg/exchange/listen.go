package exchange

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Reconnection delays for a Listener whose connection was lost.
const (
	listenMinBackoff = 100 * time.Millisecond
	listenMaxBackoff = 10 * time.Second
)

// Listener turns PostgreSQL notifications on one channel into wake-ups. It
// holds a connection of its own, outside the pool, for as long as its
// context lasts, and reconnects with a growing delay when it loses it.
//
// Notifications sent while it is reconnecting are lost, so a wake-up is a
// hint to look now, not a delivery: combine C with a poll ticker.
type Listener struct {
	// C receives a value after a notification arrives, and after every
	// (re)connection, since anything may have happened while unconnected.
	// It holds one value: wake-ups that arrive before the last was taken
	// are merged. It is never closed.
	C <-chan struct{}

	done chan struct{}
}

// Listen starts listening on channel (ChannelOutbox, ChannelInbox or
// ChannelReceipt) with a connection configured as pool's, until ctx ends.
// A nil logger discards the reconnection warnings.
func Listen(ctx context.Context, pool *pgxpool.Pool, channel string, logger *slog.Logger) *Listener {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	wake := make(chan struct{}, 1)
	l := &Listener{C: wake, done: make(chan struct{})}
	cfg := pool.Config().ConnConfig
	go l.run(ctx, cfg, channel, logger, wake)
	return l
}

// Done is closed when the listener has stopped and closed its connection,
// after its context ended.
func (l *Listener) Done() <-chan struct{} { return l.done }

func (l *Listener) run(ctx context.Context, cfg *pgx.ConnConfig, channel string, logger *slog.Logger, wake chan struct{}) {
	defer close(l.done)
	delay := listenMinBackoff
	for {
		err := listenOnce(ctx, cfg, channel, wake, func() { delay = listenMinBackoff })
		if ctx.Err() != nil {
			return
		}
		logger.WarnContext(ctx, "notification listener lost its connection",
			"channel", channel, "retry_in", delay, "error", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, listenMaxBackoff)
	}
}

// listenOnce connects, listens and relays notifications until the
// connection fails or ctx ends.
func listenOnce(ctx context.Context, cfg *pgx.ConnConfig, channel string, wake chan struct{}, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx) // the connection is being discarded either way
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	connected()
	signal(wake)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		signal(wake)
	}
}

func signal(wake chan struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}
