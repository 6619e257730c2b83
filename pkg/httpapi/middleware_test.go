package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/corridor-org/corridor/pkg/logtest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type testService struct {
	handler http.Handler
	logs    *logtest.Buffer
	reg     *prometheus.Registry
}

func newTestService(t *testing.T, checks ...Check) *testService {
	t.Helper()
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	metrics, err := NewMetrics(reg)
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	mux := NewMux(logger)
	HandleOps(mux, logger, reg, checks...)
	mux.HandleFunc("GET /api/v1/referrals/{id}", func(w http.ResponseWriter, r *http.Request) {
		_ = WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("POST /panic", func(http.ResponseWriter, *http.Request) {
		panic("boom at the border")
	})
	mux.HandleFunc("POST /panic-struct", func(http.ResponseWriter, *http.Request) {
		panic(struct{ ChildName string }{"Awa Traoré"})
	})
	mux.HandleFunc("POST /panic-after-write", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"partial":`))
		panic(errors.New("boom mid-body"))
	})
	return &testService{handler: Middleware(logger, metrics, mux), logs: logs, reg: reg}
}

func (s *testService) do(t *testing.T, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	return rec
}

func TestMiddlewareRecoversPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path       string
		wantLogged string
		notLogged  string
	}{
		{"/panic", "boom at the border", ""},
		{"/panic-struct", "value of type struct { ChildName string }", "Awa"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t)
			rec := s.do(t, http.MethodPost, tt.path, nil)
			if rec.Code != http.StatusInternalServerError {
				t.Fatalf("status = %d, want 500", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != ContentTypeProblem {
				t.Errorf("Content-Type = %q, want problem+json", ct)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("decode problem: %v", err)
			}
			if p.Status != 500 || p.Type != "urn:corridor:problem:internal" || p.RequestID == "" {
				t.Errorf("problem = %+v", p)
			}
			if strings.Contains(rec.Body.String(), "boom") {
				t.Errorf("panic value leaked to the client: %s", rec.Body)
			}
			logs := s.logs.String()
			if !strings.Contains(logs, "handler panicked") || !strings.Contains(logs, tt.wantLogged) {
				t.Errorf("panic not logged as expected:\n%s", logs)
			}
			if tt.notLogged != "" && strings.Contains(logs, tt.notLogged) {
				t.Errorf("log contains %q:\n%s", tt.notLogged, logs)
			}
			if !strings.Contains(logs, `"route":"POST `+tt.path+`"`) || !strings.Contains(logs, `"status":500`) {
				t.Errorf("access log lacks route or status:\n%s", logs)
			}
			if got := counterValue(t, s.reg, "POST "+tt.path, "POST", "500"); got != 1 {
				t.Errorf("http_requests_total{code=500} = %v, want 1", got)
			}
		})
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, route, method, code string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != "http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["method"] == method && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no http_requests_total{route=%q,method=%q,code=%q}", route, method, code)
	return 0
}

func TestMiddlewareAbortsAfterPartialWrite(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	srv := httptest.NewServer(s.handler)
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/panic-after-write", "application/json", nil)
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatal("reading a response whose handler panicked mid-body succeeded, want a cut connection")
	}
	if !strings.Contains(s.logs.String(), "boom mid-body") {
		t.Errorf("panic not logged:\n%s", s.logs.String())
	}
}

func TestMiddlewareRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		incoming string
		keep     bool
	}{
		{"none", "", false},
		{"plain is kept", "abc-123_x.y", true},
		{"forged log line is replaced", "abc\n{\"msg\":\"x\"}", false},
		{"too long is replaced", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t)
			h := http.Header{}
			if tt.incoming != "" {
				h.Set(RequestIDHeader, tt.incoming)
			}
			rec := s.do(t, http.MethodGet, "/api/v1/referrals/r1", h)
			got := rec.Header().Get(RequestIDHeader)
			if got == "" {
				t.Fatal("no request id in the response")
			}
			if (got == tt.incoming) != tt.keep {
				t.Errorf("request id %q, incoming %q, want kept=%v", got, tt.incoming, tt.keep)
			}
			if !strings.Contains(s.logs.String(), `"request_id":"`+got+`"`) {
				t.Errorf("access log lacks request id %q:\n%s", got, s.logs.String())
			}
		})
	}
}

func TestMiddlewareAccessLog(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	rec := s.do(t, http.MethodGet, "/api/v1/referrals/ref_secretid?name=Awa", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	s.do(t, http.MethodGet, "/no/such/path/Awa", nil)

	logs := s.logs.String()
	for _, want := range []string{`"route":"GET /api/v1/referrals/{id}"`, `"status":200`, `"route":"unmatched"`, `"status":404`, `"method":"GET"`, `"duration"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("access log lacks %s:\n%s", want, logs)
		}
	}
	for _, leak := range []string{"ref_secretid", "Awa", "name="} {
		if strings.Contains(logs, leak) {
			t.Errorf("access log contains %q (paths and queries must not be logged):\n%s", leak, logs)
		}
	}
	if got := counterValue(t, s.reg, "GET /api/v1/referrals/{id}", "GET", "200"); got != 1 {
		t.Errorf("counter = %v, want 1", got)
	}
	if got := counterValue(t, s.reg, "unmatched", "GET", "404"); got != 1 {
		t.Errorf("unmatched counter = %v, want 1", got)
	}
}

func TestOps(t *testing.T) {
	t.Parallel()
	okCheck := Check{Name: "database", Check: func(context.Context) error { return nil }}
	downCheck := Check{Name: "nats", Check: func(context.Context) error { return errors.New("dial nats: connection refused") }}
	slowCheck := Check{Name: "slow", Timeout: time.Millisecond, Check: func(ctx context.Context) error {
		<-ctx.Done() // honours the timeout
		return ctx.Err()
	}}
	panicCheck := Check{Name: "buggy", Check: func(context.Context) error { panic("nil directory") }}
	tests := []struct {
		name       string
		checks     []Check
		wantStatus int
		wantChecks map[string]string
	}{
		{"no checks", nil, 200, map[string]string{}},
		{"all ok", []Check{okCheck}, 200, map[string]string{"database": "ok"}},
		{"one down", []Check{okCheck, downCheck}, 503, map[string]string{"database": "ok", "nats": "failed"}},
		{"timeout", []Check{slowCheck}, 503, map[string]string{"slow": "failed"}},
		{"panic", []Check{okCheck, panicCheck}, 503, map[string]string{"database": "ok", "buggy": "failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t, tt.checks...)
			rec := s.do(t, http.MethodGet, "/readyz", nil)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			var body struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(body.Checks) != len(tt.wantChecks) {
				t.Errorf("checks = %v, want %v", body.Checks, tt.wantChecks)
			}
			for k, v := range tt.wantChecks {
				if body.Checks[k] != v {
					t.Errorf("check %q = %q, want %q", k, body.Checks[k], v)
				}
			}
			if strings.Contains(rec.Body.String(), "connection refused") {
				t.Errorf("check error leaked: %s", rec.Body)
			}
			if tt.wantStatus == 503 && !strings.Contains(s.logs.String(), "readiness check failed") {
				t.Errorf("failure not logged:\n%s", s.logs.String())
			}

			rec = s.do(t, http.MethodGet, "/healthz", nil)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"ok"`) {
				t.Errorf("healthz = %d %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	s.do(t, http.MethodGet, "/api/v1/referrals/r1", nil)
	rec := s.do(t, http.MethodGet, "/metrics", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	want := `http_requests_total{code="200",method="GET",route="GET /api/v1/referrals/{id}"} 1`
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %s:\n%s", want, rec.Body)
	}
	if !strings.Contains(rec.Body.String(), "http_request_duration_seconds_bucket") {
		t.Error("metrics lack the duration histogram")
	}
}

func TestNewMetricsTwiceOnOneRegistry(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	if _, err := NewMetrics(reg); err != nil {
		t.Fatalf("first NewMetrics: %v", err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("second NewMetrics on the same registry succeeded, want a duplicate registration error")
	}
}

func TestMethodLabel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"GET": "GET", "POST": "POST", "BREW": "OTHER", "get": "OTHER"} {
		if got := methodLabel(in); got != want {
			t.Errorf("methodLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMiddlewareRouteThroughCopyingHandler covers a handler wrapper inside the
// mux that copies the request (as auth.RequireAuth does with WithContext) and
// then fails: the error log still names the route pattern.
func TestMiddlewareRouteThroughCopyingHandler(t *testing.T) {
	t.Parallel()
	logs := &logtest.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	type key struct{}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Error(w, r, logger, errors.New("load case: broken"))
	})
	mux := NewMux(logger)
	mux.Handle("GET /api/v1/cases/{case_ref}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, 1)))
	}))
	h := Middleware(logger, nil, mux)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/cases/c1", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d", rec.Code)
	}
	for _, msg := range []string{"request failed", "http request"} {
		found := false
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, `"msg":"`+msg+`"`) {
				found = true
				if !strings.Contains(line, `"route":"GET /api/v1/cases/{case_ref}"`) {
					t.Errorf("%q log lacks the route pattern: %s", msg, line)
				}
			}
		}
		if !found {
			t.Errorf("no %q log:\n%s", msg, logs.String())
		}
	}
}
