package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Check is a named readiness check, such as a database ping. Readyz cancels
// its context after Timeout (CheckTimeout when zero), so a hung dependency
// makes the service unready instead of hanging the probe.
type Check struct {
	Name    string
	Check   func(ctx context.Context) error
	Timeout time.Duration
}

// CheckTimeout is the default bound on a readiness check.
const CheckTimeout = 2 * time.Second

// Healthz answers 200 while the process can serve HTTP at all: liveness, not
// readiness, so that an orchestrator does not restart a service whose
// database is down.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// readiness is the /readyz body. Checks map each check's name to "ok" or
// "failed"; the reason is logged, not returned, since it may describe
// internals.
type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Readyz runs every check concurrently and answers 200 when all pass, or 503
// naming those that failed.
func Readyz(logger *slog.Logger, checks ...Check) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		errs := make([]error, len(checks))
		var wg sync.WaitGroup
		for i, c := range checks {
			wg.Go(func() {
				// A check runs outside the handler's goroutine, out of the
				// middleware's reach: a panic here would end the process.
				defer func() {
					if v := recover(); v != nil {
						errs[i] = fmt.Errorf("check %s: %w", c.Name, corridor.PanicError(v))
					}
				}()
				timeout := c.Timeout
				if timeout <= 0 {
					timeout = CheckTimeout
				}
				ctx, cancel := context.WithTimeout(r.Context(), timeout)
				defer cancel()
				errs[i] = c.Check(ctx)
			})
		}
		wg.Wait()
		body := readiness{Status: "ready", Checks: make(map[string]string, len(checks))}
		status := http.StatusOK
		for i, c := range checks {
			if errs[i] == nil {
				body.Checks[c.Name] = "ok"
				continue
			}
			body.Checks[c.Name] = "failed"
			body.Status = "not ready"
			status = http.StatusServiceUnavailable
			logger.LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed",
				slog.String("request_id", RequestIDFromContext(r.Context())),
				slog.String("check", c.Name),
				slog.String("error", errs[i].Error()))
		}
		_ = WriteJSON(w, status, body)
	})
}

// Router is where routes are registered: a *Mux or an *http.ServeMux.
type Router interface {
	Handle(pattern string, h http.Handler)
}

// HandleOps registers GET /healthz, GET /readyz and GET /metrics on mux.
func HandleOps(mux Router, logger *slog.Logger, reg *prometheus.Registry, checks ...Check) {
	mux.Handle("GET /healthz", Healthz())
	mux.Handle("GET /readyz", Readyz(logger, checks...))
	mux.Handle("GET /metrics", MetricsHandler(reg))
}
