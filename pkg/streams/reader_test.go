package streams_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/streams"
)

func TestInboxReaderWaitSetUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		failures  int  // SetUp fails this many times first
		cancelled bool // ctx ends while it keeps failing
		permanent bool // SetUp fails with ErrServerUnsuitable
	}{
		{"at once", 0, false, false},
		{"after failures", 3, false, false},
		{"until the service stops", -1, true, false},
		{"never on an unsuitable server", -1, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			calls := 0
			in := streams.InboxReader{
				SetUp: func(context.Context) (jetstream.Consumer, error) {
					calls++
					if tt.failures < 0 || calls <= tt.failures {
						if tt.cancelled && calls == 2 {
							cancel()
						}
						if tt.permanent {
							return nil, fmt.Errorf("check: %w", streams.ErrServerUnsuitable)
						}
						return nil, errors.New("no responders")
					}
					return nil, nil
				},
				Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
				AttemptTimeout: time.Second,
				RetryBase:      time.Millisecond,
			}
			_, err := in.WaitSetUp(ctx)
			if tt.permanent {
				if !errors.Is(err, streams.ErrServerUnsuitable) || calls != 1 {
					t.Fatalf("WaitSetUp = %v after %d calls, want ErrServerUnsuitable after 1", err, calls)
				}
				return
			}
			if tt.cancelled {
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("WaitSetUp = %v, want the context's error", err)
				}
				return
			}
			if err != nil || calls != tt.failures+1 {
				t.Fatalf("WaitSetUp = %v after %d calls, want success after %d", err, calls, tt.failures+1)
			}
		})
	}
}
