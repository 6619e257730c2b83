package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/corridor-org/corridor/pkg/corridor"
)

func TestProblemFor(t *testing.T) {
	t.Parallel()
	fields := []corridor.FieldError{{Field: "child.sex", Message: "is required"}}
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantType   string
		wantDetail string
		wantFields int
	}{
		{"invalid", corridor.Invalid("The request has invalid fields.", fields...), 422, "urn:corridor:problem:invalid", "The request has invalid fields.", 1},
		{"malformed", &corridor.Error{Kind: corridor.KindInvalid, Message: "bad json", Err: ErrMalformedBody}, 400, "urn:corridor:problem:malformed", "bad json", 0},
		{"media type", &corridor.Error{Kind: corridor.KindInvalid, Message: "json please", Err: ErrUnsupportedMediaType}, 415, "urn:corridor:problem:unsupported-media-type", "json please", 0},
		{"too large", &corridor.Error{Kind: corridor.KindInvalid, Message: "big", Err: ErrBodyTooLarge}, 413, "urn:corridor:problem:too-large", "big", 0},
		{"unauthorized", corridor.Errorf(corridor.KindUnauthorized, "token expired"), 401, "urn:corridor:problem:unauthorized", "token expired", 0},
		{"forbidden", corridor.Errorf(corridor.KindForbidden, "recipient only"), 403, "urn:corridor:problem:forbidden", "recipient only", 0},
		{"not found", corridor.Errorf(corridor.KindNotFound, "no such referral"), 404, "urn:corridor:problem:not-found", "no such referral", 0},
		{"conflict", corridor.Errorf(corridor.KindConflict, "already accepted"), 409, "urn:corridor:problem:conflict", "already accepted", 0},
		{"unavailable", corridor.Errorf(corridor.KindUnavailable, "database down"), 503, "urn:corridor:problem:unavailable", "database down", 0},
		{"database refused the connection", fmt.Errorf("create referral: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), 503, "urn:corridor:problem:unavailable", "A service this request needs is unavailable; try again shortly.", 0},
		{"database shutting down", fmt.Errorf("create referral: %w", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}), 503, "urn:corridor:problem:unavailable", "A service this request needs is unavailable; try again shortly.", 0},
		{"connection lost mid-query", fmt.Errorf("list referrals: %w", io.ErrUnexpectedEOF), 503, "urn:corridor:problem:unavailable", "A service this request needs is unavailable; try again shortly.", 0},
		{"other database error is internal", fmt.Errorf("insert: %w", &pgconn.PgError{Code: "23505", Message: "duplicate key"}), 500, "urn:corridor:problem:internal", "An unexpected error occurred. Quote the request id when reporting it.", 0},
		{"wrapped kind", fmt.Errorf("accept referral: %w", corridor.Errorf(corridor.KindConflict, "withdrawn")), 409, "urn:corridor:problem:conflict", "withdrawn", 0},
		{"internal kind hides message", &corridor.Error{Kind: corridor.KindInternal, Message: "pgx: relation children"}, 500, "urn:corridor:problem:internal", "An unexpected error occurred. Quote the request id when reporting it.", 0},
		{"plain error is internal", errors.New("insert child Awa Traoré: duplicate"), 500, "urn:corridor:problem:internal", "An unexpected error occurred. Quote the request id when reporting it.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := ProblemFor(tt.err)
			if p.Status != tt.wantStatus || p.Type != tt.wantType || p.Detail != tt.wantDetail || len(p.Errors) != tt.wantFields {
				t.Errorf("ProblemFor() = %+v, want status %d type %q detail %q %d fields", p, tt.wantStatus, tt.wantType, tt.wantDetail, tt.wantFields)
			}
			if p.Title == "" {
				t.Error("Title is empty")
			}
			if got := StatusFor(tt.err); got != tt.wantStatus {
				t.Errorf("StatusFor() = %d, want %d", got, tt.wantStatus)
			}
		})
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantLog    bool
	}{
		{"client error is not logged", corridor.Invalid("bad", corridor.FieldError{Field: "a", Message: "is required"}), 422, false},
		{"internal error is logged, not shown", errors.New("query referrals: secret table detail"), 500, true},
		{"unavailable is logged", corridor.Errorf(corridor.KindUnavailable, "database unavailable"), 503, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			mux := NewMux(logger)
			mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) {
				Error(w, r, logger, tt.err)
			})
			h := Middleware(logger, nil, mux)
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			req.Header.Set(RequestIDHeader, "test-request-1")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if ct := rec.Header().Get("Content-Type"); ct != ContentTypeProblem {
				t.Errorf("Content-Type = %q, want %q", ct, ContentTypeProblem)
			}
			var raw map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
				t.Fatalf("decode body: %v", err)
			}
			for _, k := range []string{"type", "title", "status", "detail", "errors"} {
				if _, ok := raw[k]; !ok {
					t.Errorf("problem lacks %q: %s", k, rec.Body)
				}
			}
			if raw["request_id"] != "test-request-1" {
				t.Errorf("request_id = %v, want test-request-1", raw["request_id"])
			}
			if strings.Contains(rec.Body.String(), "secret table detail") {
				t.Errorf("internal cause leaked to the client: %s", rec.Body)
			}
			gotLog := strings.Contains(logs.String(), `"msg":"request failed"`)
			if gotLog != tt.wantLog {
				t.Errorf("logged failure = %v, want %v; logs:\n%s", gotLog, tt.wantLog, logs.String())
			}
			if tt.wantLog && !strings.Contains(logs.String(), `"request_id":"test-request-1"`) {
				t.Errorf("failure log lacks the request id:\n%s", logs.String())
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusCreated, map[string]string{"id": "r1"}); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != ContentTypeJSON || rec.Body.String() != "{\"id\":\"r1\"}\n" {
		t.Errorf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}

	rec = httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusOK, map[string]any{"f": func() {}}); err == nil {
		t.Error("WriteJSON of a func succeeded, want error")
	}
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != ContentTypeProblem {
		t.Errorf("unencodable value: got %d %q, want a 500 problem", rec.Code, rec.Header().Get("Content-Type"))
	}
}
