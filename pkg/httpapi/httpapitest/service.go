package httpapitest

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/logtest"
)

// Running is a service started by StartService.
type Running struct {
	cancel context.CancelFunc
	done   chan error
	log    *logtest.Buffer
}

// StartService runs a service's run function (its main without the
// process) in the background and returns once the service answers 200 on
// addr's /readyz. It fails t if run returns first or readiness takes longer
// than timeout; the service's log is in the failure message.
func StartService(t testing.TB, addr string, timeout time.Duration, run func(ctx context.Context, stdout io.Writer) error) *Running {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	r := &Running{cancel: cancel, done: make(chan error, 1), log: &logtest.Buffer{}}
	go func() { r.done <- run(ctx, r.log) }()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !ready(addr) {
		select {
		case err := <-r.done:
			cancel()
			t.Fatalf("the service exited before it was ready: %v\n%s", err, r.log.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the service was not ready after %s\n%s", timeout, r.log.String())
		}
	}
	return r
}

func ready(addr string) bool {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop stops the service and returns what run returned and its log.
func (r *Running) Stop() (string, error) {
	r.cancel()
	err := <-r.done
	return r.log.String(), err
}
