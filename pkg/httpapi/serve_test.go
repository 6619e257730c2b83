package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveTimeout bounds waiting for Serve in these tests: generous, for a
// loaded machine running with -race.
const serveTimeout = 30 * time.Second

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestServe(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name string
		// work runs beside the server; started is closed once it runs.
		work func(ctx context.Context, started chan<- struct{}) error
		// cancel ends the run by cancelling the context, after a request;
		// otherwise work or the server ends it.
		cancel bool
		// closeLn makes the server fail at once.
		closeLn bool
		want    string // a part of the error; "" for nil
	}{
		{
			name: "context ends",
			work: func(ctx context.Context, started chan<- struct{}) error {
				close(started)
				<-ctx.Done()
				return nil
			},
			cancel: true,
		},
		{
			name: "work fails while stopping",
			work: func(ctx context.Context, started chan<- struct{}) error {
				close(started)
				<-ctx.Done()
				return boom
			},
			cancel: true,
			want:   "run service: boom",
		},
		{
			name: "work fails",
			work: func(_ context.Context, started chan<- struct{}) error {
				close(started)
				return boom
			},
			want: "run service: boom",
		},
		{
			name: "work stops early",
			work: func(_ context.Context, started chan<- struct{}) error {
				close(started)
				return nil
			},
			want: "stopped before the service did",
		},
		{
			name: "server fails",
			work: func(ctx context.Context, started chan<- struct{}) error {
				close(started)
				<-ctx.Done() // Serve must cancel it
				return nil
			},
			closeLn: true,
			want:    "serve HTTP",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ln := listen(t)
			if tc.closeLn {
				ln.Close()
			}
			mux := http.NewServeMux()
			mux.HandleFunc("GET /ping", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "pong") })
			srv := NewServer(mux, slog.New(slog.DiscardHandler))
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			started := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				done <- Serve(ctx, srv, ln, func(ctx context.Context) error { return tc.work(ctx, started) })
			}()
			<-started
			if tc.cancel {
				resp, err := http.Get("http://" + ln.Addr().String() + "/ping")
				if err != nil {
					t.Fatalf("request while serving: %v", err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != "pong" {
					t.Errorf("body %q, want pong", body)
				}
				cancel()
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(serveTimeout):
				t.Fatal("Serve did not return")
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Serve = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Serve = %v, want an error mentioning %q", err, tc.want)
			}
			// Whatever ended it, the server was shut down.
			if err := srv.Serve(listen(t)); !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("the server was not shut down: Serve again = %v", err)
			}
		})
	}
}

// TestServeStopsQuietlyWithItsContext checks that work ending because ctx
// ended is a clean stop, not work stopping early, however the two are
// noticed: with ctx ended from the start both are ready at once.
func TestServeStopsQuietlyWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for range 20 {
		srv := NewServer(http.NewServeMux(), slog.New(slog.DiscardHandler))
		err := Serve(ctx, srv, listen(t), func(ctx context.Context) error {
			<-ctx.Done()
			return nil
		})
		if err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
	}
}
