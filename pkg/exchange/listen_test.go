package exchange

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

const wakeTimeout = 10 * time.Second

func waitWake(t *testing.T, l *Listener, what string) {
	t.Helper()
	select {
	case <-l.C:
	case <-time.After(wakeTimeout):
		t.Fatalf("no wake-up within %v: %s", wakeTimeout, what)
	}
}

func TestListenWakes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		channel string
		prepare func(ctx context.Context, t *testing.T, pool *pgxpool.Pool) string
		act     func(ctx context.Context, t *testing.T, pool *pgxpool.Pool, id string)
	}{
		{
			channel: ChannelOutbox,
			act: func(ctx context.Context, t *testing.T, pool *pgxpool.Pool, _ string) {
				enqueue(ctx, t, pool, outboxMessage(TypeReferral))
			},
		},
		{
			channel: ChannelInbox,
			act: func(ctx context.Context, t *testing.T, pool *pgxpool.Pool, _ string) {
				if _, err := InsertInbox(ctx, pool, inboxMessage(time.Now())); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			channel: ChannelReceipt,
			prepare: func(ctx context.Context, t *testing.T, pool *pgxpool.Pool) string {
				m := outboxMessage(TypeReferral)
				enqueue(ctx, t, pool, m)
				return m.MessageID
			},
			act: func(ctx context.Context, t *testing.T, pool *pgxpool.Pool, id string) {
				if _, err := RecordReceipt(ctx, pool, id, time.Now(), []byte("r")); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.channel, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			pool := pg.NewPool(t, schema)
			var id string
			if tc.prepare != nil {
				id = tc.prepare(ctx, t, pool)
			}
			l := Listen(ctx, pool, tc.channel, nil)
			waitWake(t, l, "connected")

			tc.act(ctx, t, pool, id)
			waitWake(t, l, "notified")

			cancel()
			select {
			case <-l.Done():
			case <-time.After(wakeTimeout):
				t.Fatal("listener did not stop after its context ended")
			}
		})
	}
}

// TestListenIgnoresOtherChannels checks that a wake-up comes from the
// channel listened to: an inbox insert must not wake an outbox listener.
func TestListenIgnoresOtherChannels(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	l := Listen(ctx, pool, ChannelOutbox, nil)
	waitWake(t, l, "connected")
	if _, err := InsertInbox(ctx, pool, inboxMessage(time.Now())); err != nil {
		t.Fatal(err)
	}
	// Notifications are delivered in commit order on one connection: once
	// the outbox insert's wake-up arrives, an inbox one would have too.
	enqueue(ctx, t, pool, outboxMessage(TypeReferral))
	waitWake(t, l, "outbox insert")
	select {
	case <-l.C:
		t.Error("woken by an inbox insert")
	default:
	}
}

func TestListenReconnects(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	l := Listen(ctx, pool, ChannelOutbox, nil)
	waitWake(t, l, "connected")

	var killed int
	if err := pool.QueryRow(ctx, `
		SELECT count(*) FROM (
			SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()) t`,
	).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listening backends, want 1", killed)
	}
	waitWake(t, l, "reconnected")

	enqueue(ctx, t, pool, outboxMessage(TypeReferral))
	waitWake(t, l, "notified after reconnecting")
}
