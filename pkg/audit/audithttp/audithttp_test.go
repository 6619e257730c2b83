package audithttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/audit/audithttp"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/pgtest"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "audit", Migrate: audit.Migrate}

// fakeAuth authenticates the requests that carry "Authorization: yes",
// as auth.RequireAuth would, and answers the others 401.
func fakeAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "yes" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		p := auth.Principal{Subject: "user-1", Issuer: "https://idp.ci.example", Roles: []corridor.Role{"caseworker"}}
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
	})
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	wrap := audithttp.Middleware(audithttp.Config{DB: pool})
	mux := http.NewServeMux()
	route := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, wrap(fakeAuth(audithttp.Identify(h)))) }
	route("GET /api/v1/referrals/{id}", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := audit.ActorFrom(r.Context()); !ok {
			t.Error("no actor in the handler's context")
		}
		if r.PathValue("id") == "ci-ref-other" {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, "{}")
	})
	route("POST /api/v1/referrals", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/api/v1/referrals/ci-ref-new")
		w.WriteHeader(http.StatusCreated)
	})
	route("POST /api/v1/inbox/failed/{message_id}/retry", func(http.ResponseWriter, *http.Request) {}) // writes nothing

	tests := []struct {
		method, path string
		authed       bool
		status       int
		want         string // actor outcome object status
	}{
		{"GET", "/api/v1/referrals/ci-ref-1", true, 200, "user-1@https://idp.ci.example allowed referral/ci-ref-1 200"},
		{"GET", "/api/v1/referrals/ci-ref-other", true, 403, "user-1@https://idp.ci.example denied referral/ci-ref-other 403"},
		{"GET", "/api/v1/referrals/ci-ref-1", false, 401, " denied referral/ci-ref-1 401"},
		{"POST", "/api/v1/referrals", true, 201, "user-1@https://idp.ci.example allowed referral/ci-ref-new 201"},
		{"POST", "/api/v1/inbox/failed/bf-1/retry", true, 200, "user-1@https://idp.ci.example allowed message/bf-1 200"},
	}
	for i, tt := range tests {
		req := httptest.NewRequest(tt.method, tt.path+"?name=Awa", nil)
		if tt.authed {
			req.Header.Set("Authorization", "yes")
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != tt.status {
			t.Fatalf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.status)
		}
		var got []audit.Entry
		err := audit.Entries(context.Background(), pool, audit.Range{FromSeq: int64(i + 1)}, func(e audit.Entry) error {
			got = append(got, e)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%s %s: %d entries", tt.method, tt.path, len(got))
		}
		e := got[0]
		line := e.Actor + " " + string(e.Outcome) + " " + e.Object.Type + "/" + e.Object.ID + " " + e.Detail["status"]
		if line != tt.want || !strings.HasPrefix(e.Action, tt.method+" /api/v1/") || !strings.Contains(e.Action, "{") && tt.method == "GET" {
			t.Errorf("%s %s: entry %q (%s), want %q", tt.method, tt.path, line, e.Action, tt.want)
		}
		if strings.Contains(string(e.Encode()), "Awa") {
			t.Errorf("the query string reached the trail: %s", e.Encode())
		}
	}
}

// TestUnrecordedIsNotShown: when the trail cannot be written, a
// successful answer becomes 503 and its body is not sent; a refusal
// stays a refusal.
func TestUnrecordedIsNotShown(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	if _, err := pool.Exec(context.Background(), `ALTER TABLE audit_entries RENAME TO audit_entries_away`); err != nil {
		t.Fatal(err)
	}
	wrap := audithttp.Middleware(audithttp.Config{DB: pool})
	h := wrap(fakeAuth(audithttp.Identify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"child":"secret"}`)
	}))))
	for _, tt := range []struct {
		authed bool
		status int
	}{{true, http.StatusServiceUnavailable}, {false, http.StatusUnauthorized}} {
		req := httptest.NewRequest("GET", "/api/v1/referrals/ci-ref-1", nil)
		if tt.authed {
			req.Header.Set("Authorization", "yes")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.status || strings.Contains(rec.Body.String(), "secret") {
			t.Errorf("authenticated %v: %d %s, want %d without the body", tt.authed, rec.Code, rec.Body, tt.status)
		}
	}
}
