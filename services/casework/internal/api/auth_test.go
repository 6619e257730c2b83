package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/auth"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	bf := newMember(t, "BF", false)
	id := ci.create("ci-inspector")["id"].(string)

	routes := []struct{ method, path string }{
		{http.MethodPost, "/api/v1/referrals"},
		{http.MethodGet, "/api/v1/referrals?direction=outgoing"},
		{http.MethodGet, "/api/v1/referrals/" + id},
		{http.MethodPost, "/api/v1/referrals/" + id + "/accept"},
		{http.MethodPost, "/api/v1/referrals/" + id + "/decline"},
		{http.MethodPost, "/api/v1/referrals/" + id + "/withdraw"},
		{http.MethodGet, "/api/v1/inbox/failed"},
		{http.MethodPost, "/api/v1/inbox/failed/bf-unknown/retry"},
	}
	tokens := []struct {
		name   string
		token  func() string
		status int
	}{
		{"no token", func() string { return "" }, http.StatusUnauthorized},
		{"garbage token", func() string { return "not.a.jwt" }, http.StatusUnauthorized},
		{"token for another audience", func() string { return ci.tokenFor(otherClient, "ci-inspector") }, http.StatusUnauthorized},
		{"token from another country's provider", func() string { return bf.token("bf-caseworker") }, http.StatusUnauthorized},
		{"token claiming another country", func() string { return ci.token("foreigner") }, http.StatusUnauthorized},
		{"unsigned (alg none)", func() string { return unsigned(ci.token("ci-supervisor")) }, http.StatusUnauthorized},
		{"HMAC-signed with a key the attacker chose", func() string { return hmacSigned(ci.token("ci-supervisor")) }, http.StatusUnauthorized},
		{"claims changed after signing", func() string { return promoted(ci.token("ci-inspector")) }, http.StatusUnauthorized},
		{"no roles claim", func() string { return ci.token("roleless") }, http.StatusUnauthorized},
		{"coordinator role", func() string { return ci.token("ci-coordinator") }, http.StatusForbidden},
		{"country administrator", func() string { return ci.token("ci-admin") }, http.StatusForbidden},
		{"auditor", func() string { return ci.token("ci-auditor") }, http.StatusForbidden},
		{"user without agency", func() string { return ci.token("nobody") }, http.StatusForbidden},
	}
	for _, tok := range tokens {
		for _, rt := range routes {
			if tok.name == "country administrator" && strings.HasPrefix(rt.path, "/api/v1/inbox/failed") {
				continue // the administrator's own (TestFailedInboxNeedsAdministrator)
			}
			t.Run(tok.name+"/"+rt.method+" "+rt.path, func(t *testing.T) {
				var body any
				if rt.method == http.MethodPost {
					body = exampleBytes(t)
				}
				r := ci.do(rt.method, rt.path, tok.token(), body)
				if r.status != tok.status {
					t.Fatalf("status %d, want %d: %s", r.status, tok.status, r.body)
				}
				r.problem(t)
				if tok.status == http.StatusUnauthorized && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
			})
		}
	}
	// An agency the directory does not list cannot send.
	if r := ci.do(http.MethodPost, "/api/v1/referrals", ci.token("ghost"), exampleBytes(t)); r.status != http.StatusForbidden {
		t.Errorf("agency not in the directory: %d %s", r.status, r.body)
	}
	// Refused callers changed nothing.
	if got := ci.statusOf("ci-inspector", id); got != "sent" {
		t.Errorf("status after refused calls = %q, want sent", got)
	}
	if n := ci.count("referrals"); n != 1 {
		t.Errorf("%d referrals, want 1", n)
	}
}

// TestFailedInboxNeedsAdministrator: failed messages are the country
// administrator's (and a machine client may watch them), no case role's.
func TestFailedInboxNeedsAdministrator(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	tests := []struct {
		user    string
		list    int
		retry   int // an unknown message: the role is checked first
		invalid int // a bad limit: the role is checked first
	}{
		{"ci-inspector", 403, 403, 403},
		{"ci-caseworker", 403, 403, 403},
		{"ci-supervisor", 403, 403, 403},
		{"ci-auditor", 403, 403, 403},
		{"ci-coordinator", 403, 403, 403},
		{"ci-admin", 200, 404, 422},
	}
	for _, tc := range tests {
		if r := ci.do(http.MethodGet, "/api/v1/inbox/failed", ci.token(tc.user), nil); r.status != tc.list {
			t.Errorf("%s lists: status %d, want %d: %s", tc.user, r.status, tc.list, r.body)
		}
		if r := ci.do(http.MethodPost, "/api/v1/inbox/failed/bf-unknown/retry", ci.token(tc.user), nil); r.status != tc.retry {
			t.Errorf("%s retries: status %d, want %d: %s", tc.user, r.status, tc.retry, r.body)
		}
		if r := ci.do(http.MethodGet, "/api/v1/inbox/failed?limit=0", ci.token(tc.user), nil); r.status != tc.invalid {
			t.Errorf("%s lists with a bad limit: status %d, want %d: %s", tc.user, r.status, tc.invalid, r.body)
		}
	}
}

func TestOperationalEndpointsNeedNoToken(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := ci.do(http.MethodGet, path, "", nil); r.status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}

func TestUnknownRoutesAnswerProblems(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	tok := ci.token("ci-inspector")
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodGet, "/api/v1/nothing", http.StatusNotFound, ""},
		{http.MethodGet, "/", http.StatusNotFound, ""},
		{http.MethodDelete, "/api/v1/referrals", http.StatusMethodNotAllowed, "POST, GET"},
		{http.MethodGet, "/api/v1/referrals/x/accept", http.StatusMethodNotAllowed, "POST"},
		{http.MethodPut, "/api/v1/referrals/x", http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/api/v1/inbox/failed/x/retry", http.StatusMethodNotAllowed, "POST"},
	}
	for _, tc := range tests {
		r := ci.do(tc.method, tc.path, tok, nil)
		if r.status != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, r.status, tc.status)
			continue
		}
		r.problem(t)
		if tc.allow != "" && r.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tc.method, tc.path, r.header.Get("Allow"), tc.allow)
		}
	}
}

// segments of a compact JWS.
func segments(raw string) []string { return strings.Split(raw, ".") }

// unsigned is raw with "alg": "none" and no signature.
func unsigned(raw string) string {
	p := segments(raw)
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + p[1] + "."
}

// hmacSigned is raw's claims signed with HS256 under a secret of the
// attacker's choosing, as if the provider's key were a shared secret.
func hmacSigned(raw string) string {
	p := segments(raw)
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	mac := hmac.New(sha256.New, []byte("the provider's public key, or any secret"))
	mac.Write([]byte(head + "." + p[1]))
	return head + "." + p[1] + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// promoted is raw with its roles claim rewritten to supervisor, keeping the
// provider's signature.
func promoted(raw string) string {
	p := segments(raw)
	b, _ := base64.RawURLEncoding.DecodeString(p[1])
	var claims map[string]any
	_ = json.Unmarshal(b, &claims)
	claims[auth.ClaimRoles] = []string{"supervisor", "caseworker"}
	b, _ = json.Marshal(claims)
	return p[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + p[2]
}
