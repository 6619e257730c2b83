package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// RequestIDHeader carries the request id in both directions, so that a
// caller's id (a proxy's, a test's) ties its logs to ours.
const RequestIDHeader = "X-Request-Id"

type contextKey int

const requestIDKey contextKey = 0

// RequestIDFromContext returns the request id Middleware assigned, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Middleware wraps the service's mux with, from the outside in: a request id,
// the access log and metrics, and panic recovery. metrics may be nil (no
// metrics); logger must not be.
//
// It takes the *Mux itself, not any handler, because logs and metrics are
// labelled with the matched route pattern, which the mux records on the very
// request it is given: a wrapper in between that copied the request
// (WithContext) would hide it. Wrap handlers inside the mux instead.
func Middleware(logger *slog.Logger, metrics *Metrics, mux *Mux) http.Handler {
	return withRequestID(observe(logger, metrics, recoverPanics(logger, mux)))
}

func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = corridor.NewID("req_")
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// validRequestID accepts a caller's id only if it is short and plain, so that
// it cannot forge log lines or smuggle data into them.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// routeLabel names the request's route for logs and metrics: the mux pattern
// ("GET /api/v1/referrals/{id}"), never the raw path, which may carry ids and
// has unbounded cardinality. Mux's catch-all "/" is what no route matched.
func routeLabel(r *http.Request) string {
	if r.Pattern != "" && r.Pattern != "/" {
		return r.Pattern
	}
	return "unmatched"
}

func observe(logger *slog.Logger, metrics *Metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		if metrics != nil {
			metrics.inFlight.Inc()
		}
		// Deferred so that a request aborted with http.ErrAbortHandler is
		// still logged and counted.
		defer func() {
			elapsed := time.Since(start)
			status := rec.statusCode()
			route := routeLabel(r)
			if metrics != nil {
				metrics.inFlight.Dec()
				metrics.observe(r.Method, route, status, elapsed)
			}
			level := slog.LevelInfo
			if isOpsRoute(route) {
				level = slog.LevelDebug
			}
			logger.LogAttrs(r.Context(), level, "http request",
				slog.String("request_id", RequestIDFromContext(r.Context())),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", elapsed))
		}()
		next.ServeHTTP(rec, r)
	})
}

// isOpsRoute is true for probes and scrapes, which would drown the access log
// at info level.
func isOpsRoute(route string) bool {
	switch route {
	case "GET /healthz", "GET /readyz", "GET /metrics", "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec, _ := w.(*statusRecorder)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			logger.LogAttrs(r.Context(), slog.LevelError, "handler panicked",
				slog.String("request_id", RequestIDFromContext(r.Context())),
				slog.String("method", r.Method),
				slog.String("route", routeLabel(r)),
				slog.String("panic", corridor.PanicError(v).Error()),
				slog.String("stack", string(debug.Stack())))
			if rec != nil && rec.wroteHeader {
				// Part of a response is out; the honest thing left is to cut
				// the connection so the client sees it incomplete.
				panic(http.ErrAbortHandler)
			}
			err := fmt.Errorf("handle request: %w", corridor.PanicError(v))
			p := ProblemFor(err)
			p.RequestID = RequestIDFromContext(r.Context())
			WriteProblem(w, p)
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader && code >= 200 {
		s.status = code
		s.wroteHeader = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wroteHeader {
		s.status = http.StatusOK
		s.wroteHeader = true
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) statusCode() int {
	if !s.wroteHeader {
		// Nothing written: net/http will send 200.
		return http.StatusOK
	}
	return s.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Flush supports handlers that assert http.Flusher directly.
func (s *statusRecorder) Flush() {
	if !s.wroteHeader {
		s.status = http.StatusOK
		s.wroteHeader = true
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Hijack supports handlers that assert http.Hijacker directly (websockets).
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.status = http.StatusSwitchingProtocols
	s.wroteHeader = true
	return http.NewResponseController(s.ResponseWriter).Hijack()
}
