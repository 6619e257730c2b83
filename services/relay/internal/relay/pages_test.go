package relay_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/webui/webuitest"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/relay/internal/pages"
	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

// pageUser names the signed-in person of a page request: the test
// authenticator's stand-in for a session, which pkg/weblogin's own tests
// cover.
const pageUser = "X-Test-User"

const pageCSRF = "test-csrf-token"

var pagePeople = map[string]auth.Principal{
	"bf-admin":      {Subject: "s-bf-admin", Username: "bf-admin", Country: bf, Roles: []corridor.Role{corridor.RoleAdmin}},
	"bf-supervisor": {Subject: "s-bf-supervisor", Username: "bf-supervisor", Country: bf, Agency: "BF-DPE", Roles: []corridor.Role{corridor.RoleCaseworker, corridor.RoleSupervisor}},
	"ci-admin":      {Subject: "s-ci-admin", Username: "ci-admin", Country: ci, Roles: []corridor.Role{corridor.RoleAdmin}},
	"bf-auditor":    {Subject: "s-bf-auditor", Username: "bf-auditor", Country: bf, Roles: []corridor.Role{corridor.RoleAuditor}},
}

func pageAuthenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pagePeople[r.Header.Get(pageUser)]
		if !ok {
			http.Error(w, "log in", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
	})
}

// TestPages: the country administrator's quarantine pages show the list
// and one message without its bytes, to BF's administrators only; the
// release and dismissal forms need a reason, shown in the error summary
// when missing, and settle the message as the API does.
func TestPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	bfNode := w.startRelay(t, bf, nil)
	s := sealer{t: t, w: w, now: time.Now()}
	site, err := pages.New(pages.Config{Quarantine: bfNode.relay, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Authenticate: pageAuthenticate, DefaultLanguage: "fr", CSRFToken: func(*http.Request) string { return pageCSRF }})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	h := s.header()
	_, before := newestQuarantined(t, bfNode.pool)
	bad := s.edit(s.valid(h), func(e *corridorv1.Envelope) { e.Signature[10] ^= 0x01 })
	publish(t, w.nats.Members["ci"].JetStream(t, natsconf.UserOperator), "corr.ci.out.bf.referral", bad)
	waitQuarantined(t, bfNode.pool, before)
	id := quarantineID(t, bfNode.pool, h.MessageID)
	msgPath := pages.PathQuarantine + "/" + strconv.FormatInt(id, 10)

	do := func(t *testing.T, method, path, user string, form url.Values) (int, string, http.Header) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Accept-Language", "en")
		if user != "" {
			req.Header.Set(pageUser, user)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b), resp.Header
	}

	tests := []struct {
		name, method, path, user string
		form                     url.Values
		status                   int
		want                     []string // in the body
		location                 string
	}{
		{name: "list for an administrator", method: "GET", path: pages.PathQuarantine, user: "bf-admin", status: 200,
			want: []string{"Quarantined messages", h.MessageID, "bad_signature", `href="` + msgPath + `"`}},
		{name: "list of released messages is empty", method: "GET", path: pages.PathQuarantine + "?state=released", user: "bf-admin", status: 200,
			want: []string{"No message here."}},
		{name: "list with a bad state", method: "GET", path: pages.PathQuarantine + "?state=gone", user: "bf-admin", status: 400},
		{name: "supervisor", method: "GET", path: pages.PathQuarantine, user: "bf-supervisor", status: 403},
		{name: "auditor", method: "GET", path: msgPath, user: "bf-auditor", status: 403},
		{name: "another country's administrator", method: "GET", path: msgPath, user: "ci-admin", status: 403},
		{name: "no session", method: "GET", path: msgPath, status: 401},
		{name: "message with its forms", method: "GET", path: msgPath, user: "bf-admin", status: 200,
			want: []string{h.MessageID, "/release", "/dismiss", `name="csrf_token" value="` + pageCSRF + `"`, `name="release.reason"`}},
		{name: "unknown message", method: "GET", path: pages.PathQuarantine + "/999999", user: "bf-admin", status: 404},
		{name: "not an id", method: "GET", path: pages.PathQuarantine + "/x", user: "bf-admin", status: 404},
		{name: "supervisor cannot release", method: "POST", path: msgPath + "/release", user: "bf-supervisor",
			form: url.Values{"release.reason": {"try"}}, status: 403},
		{name: "unknown action", method: "POST", path: msgPath + "/delete", user: "bf-admin",
			form: url.Values{"delete.reason": {"x"}}, status: 404},
		{name: "dismissal without a reason", method: "POST", path: msgPath + "/dismiss", user: "bf-admin",
			form: url.Values{"dismiss.reason": {"   "}}, status: 422,
			want: []string{"error-summary", `href="#f-dismiss-reason"`}},
		{name: "release of a message still bad", method: "POST", path: msgPath + "/release", user: "bf-admin",
			form: url.Values{"release.reason": {"asked CI"}}, status: 303, location: msgPath + "?done=release"},
		{name: "it stays quarantined", method: "GET", path: msgPath + "?done=release", user: "bf-admin", status: 200,
			want: []string{"still fails a check", "asked CI", "bf-admin"}},
		{name: "dismissal", method: "POST", path: msgPath + "/dismiss", user: "bf-admin",
			form: url.Values{"dismiss.reason": {"CI says it was a test"}}, status: 303, location: msgPath + "?done=dismiss"},
		{name: "dismissed, kept, with who and why", method: "GET", path: pages.PathQuarantine + "?state=dismissed", user: "bf-admin", status: 200,
			want: []string{h.MessageID, "CI says it was a test", "bf-admin"}},
		{name: "no form once settled", method: "GET", path: msgPath, user: "bf-admin", status: 200,
			want: []string{"This message is settled"}},
		{name: "second dismissal", method: "POST", path: msgPath + "/dismiss", user: "bf-admin",
			form: url.Values{"dismiss.reason": {"again"}}, status: 409},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, header := do(t, tc.method, tc.path, tc.user, tc.form)
			if status != tc.status {
				t.Fatalf("status = %d, want %d: %s", status, tc.status, body)
			}
			for _, want := range tc.want {
				if !strings.Contains(body, want) {
					t.Errorf("the page lacks %q:\n%s", want, body)
				}
			}
			if tc.location != "" && header.Get("Location") != tc.location {
				t.Errorf("Location = %q, want %q", header.Get("Location"), tc.location)
			}
			if strings.Contains(body, "\ufffd") {
				t.Errorf("the page shows raw bytes")
			}
		})
	}
	t.Run("within budget, with the security headers", func(t *testing.T) {
		for _, path := range []string{pages.PathQuarantine, msgPath} {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
			req.Header.Set(pageUser, "bf-admin")
			if n := webuitest.Weight(t, mux, req); n > webuitest.Budget {
				t.Errorf("%s weighs %d bytes compressed, over the budget of %d", path, n, webuitest.Budget)
			}
			_, _, header := do(t, http.MethodGet, path, "bf-admin", nil)
			if csp := header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("%s: Content-Security-Policy %q", path, csp)
			}
		}
	})
	q, err := bfNode.relay.Quarantined(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if q.State != relay.StateDismissed || q.Attempts != 2 || q.LastActionBy != "bf-admin" {
		t.Errorf("after the pages: %s, %d attempts, by %q", q.State, q.Attempts, q.LastActionBy)
	}
}
