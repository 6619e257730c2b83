package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/oidcdev/oidcdevtest"
)

const redirectURI = "http://127.0.0.1:8080/auth/callback"

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// member runs a member's provider with an inspector, a user the provider
// wrongly claims for another country, a web client and two machine clients.
func member(t *testing.T, country corridor.MemberCode) *oidcdevtest.Server {
	t.Helper()
	cc := strings.ToLower(string(country))
	return oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-" + cc,
		Country:  country,
		Users: []oidcdev.User{
			{Username: cc + "-inspector", Password: "pw", Name: "Inspector", Roles: []string{"inspector"}, Agency: string(country) + "-DGT"},
			{Username: cc + "-impostor", Password: "pw", Roles: []string{"caseworker"}, Country: "ML"},
			{Username: cc + "-noroles", Password: "pw"},
		},
		Clients: []oidcdev.Client{
			{ID: "web", Public: true, RedirectURIs: []string{redirectURI}},
			{ID: "relay", Secret: "relay-secret", Roles: []string{"service"}},
			{ID: "authcallout", Secret: "cb-secret", Roles: []string{"service"}, Audience: "nats-" + cc},
		},
	})
}

func login(t *testing.T, s *oidcdevtest.Server, username string) string {
	t.Helper()
	tok, err := oidcdev.PasswordLogin(t.Context(), nil, s.URL, "web", redirectURI, username, "pw")
	if err != nil {
		t.Fatalf("PasswordLogin(%s): %v", username, err)
	}
	return tok.AccessToken
}

func idToken(t *testing.T, s *oidcdevtest.Server, username string) string {
	t.Helper()
	tok, err := oidcdev.PasswordLogin(t.Context(), nil, s.URL, "web", redirectURI, username, "pw")
	if err != nil {
		t.Fatalf("PasswordLogin(%s): %v", username, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	return raw
}

func serviceToken(t *testing.T, s *oidcdevtest.Server, client, secret string) string {
	t.Helper()
	tok, err := oidcdev.ClientCredentials(t.Context(), nil, s.URL, client, secret)
	if err != nil {
		t.Fatalf("ClientCredentials(%s): %v", client, err)
	}
	return tok.AccessToken
}

func newVerifier(t *testing.T, cfg auth.Config) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(cfg, discard())
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// segments splits a JWT; with replaces one segment.
func with(raw string, i int, seg string) string {
	parts := strings.Split(raw, ".")
	parts[i] = seg
	return strings.Join(parts, ".")
}

func segment(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encode(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerify(t *testing.T) {
	t.Parallel()
	ci := member(t, "CI")
	bf := member(t, "BF")

	inspector := login(t, ci, "ci-inspector")
	relay := serviceToken(t, ci, "relay", "relay-secret")

	claims := segment(t, inspector, 1)
	exp := time.Unix(int64(claims["exp"].(float64)), 0)

	promoted := segment(t, inspector, 1)
	promoted[auth.ClaimRoles] = []string{"supervisor"}
	noneHeader := encode(t, map[string]any{"alg": "none", "typ": "JWT"})
	sig := strings.Split(inspector, ".")[2]
	flipped := "A" + sig[1:]
	if flipped == sig {
		flipped = "B" + sig[1:]
	}

	trustCI := []auth.Issuer{{URL: ci.URL, Audience: "corridor-ci", Member: "CI"}}
	tests := []struct {
		name     string
		issuers  []auth.Issuer
		now      func() time.Time
		token    string
		want     auth.Principal
		wantKind corridor.ErrorKind
		wantMsg  string
	}{
		{
			name: "inspector", issuers: trustCI, token: inspector,
			want: auth.Principal{Subject: "ci-inspector", Username: "ci-inspector", ClientID: "web", Roles: []corridor.Role{corridor.RoleInspector}, Country: "CI", Agency: "CI-DGT", Issuer: ci.URL},
		},
		{
			name: "service", issuers: trustCI, token: relay,
			want: auth.Principal{Subject: "relay", Username: "relay", ClientID: "relay", Roles: []corridor.Role{corridor.RoleService}, Country: "CI", Issuer: ci.URL},
		},
		{
			name: "user without roles", issuers: trustCI, token: login(t, ci, "ci-noroles"),
			want: auth.Principal{Subject: "ci-noroles", Username: "ci-noroles", ClientID: "web", Country: "CI", Issuer: ci.URL},
		},
		{
			name: "coordinator trusts every member", token: login(t, bf, "bf-inspector"),
			issuers: []auth.Issuer{{URL: ci.URL, Audience: "corridor-ci", Member: "CI"}, {URL: bf.URL, Audience: "corridor-bf", Member: "BF"}},
			want:    auth.Principal{Subject: "bf-inspector", Username: "bf-inspector", ClientID: "web", Roles: []corridor.Role{corridor.RoleInspector}, Country: "BF", Agency: "BF-DGT", Issuer: bf.URL},
		},
		{
			name: "expired within the clock skew", issuers: trustCI, token: inspector,
			now:  func() time.Time { return exp.Add(10 * time.Second) },
			want: auth.Principal{Subject: "ci-inspector", Username: "ci-inspector", ClientID: "web", Roles: []corridor.Role{corridor.RoleInspector}, Country: "CI", Agency: "CI-DGT", Issuer: ci.URL},
		},
		{
			name: "expired", issuers: trustCI, token: inspector,
			now:      func() time.Time { return exp.Add(time.Minute) },
			wantKind: corridor.KindUnauthorized, wantMsg: "expired",
		},
		{
			name: "wrong audience", token: inspector, wantKind: corridor.KindUnauthorized, wantMsg: "invalid",
			issuers: []auth.Issuer{{URL: ci.URL, Audience: "corridor-bf"}},
		},
		{
			name: "token for another resource server", issuers: trustCI, token: serviceToken(t, ci, "authcallout", "cb-secret"),
			wantKind: corridor.KindUnauthorized, wantMsg: "invalid",
		},
		{
			name: "unknown issuer", issuers: trustCI, token: login(t, bf, "bf-inspector"),
			wantKind: corridor.KindUnauthorized, wantMsg: "not trusted",
		},
		{
			name: "issuer vouching for another member", issuers: trustCI, token: login(t, ci, "ci-impostor"),
			wantKind: corridor.KindUnauthorized, wantMsg: "country",
		},
		{
			name: "tampered signature", issuers: trustCI, token: with(inspector, 2, flipped),
			wantKind: corridor.KindUnauthorized, wantMsg: "invalid",
		},
		{
			name: "tampered claims", issuers: trustCI, token: with(inspector, 1, encode(t, promoted)),
			wantKind: corridor.KindUnauthorized, wantMsg: "invalid",
		},
		{
			name: "unsigned", issuers: trustCI, token: with(with(inspector, 0, noneHeader), 2, ""),
			wantKind: corridor.KindUnauthorized, wantMsg: "invalid",
		},
		{
			name: "ID token", issuers: trustCI, token: idToken(t, ci, "ci-inspector"),
			wantKind: corridor.KindUnauthorized, wantMsg: "ID token",
		},
		{name: "empty", issuers: trustCI, token: "", wantKind: corridor.KindUnauthorized, wantMsg: "required"},
		{name: "garbage", issuers: trustCI, token: "not-a-token", wantKind: corridor.KindUnauthorized, wantMsg: "malformed"},
		{name: "payload not JSON", issuers: trustCI, token: "a.bm90IGpzb24.c", wantKind: corridor.KindUnauthorized, wantMsg: "malformed"},
		{name: "oversized", issuers: trustCI, token: strings.Repeat("a", 20000), wantKind: corridor.KindUnauthorized, wantMsg: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, auth.Config{Issuers: tt.issuers, Now: tt.now})
			got, err := v.Verify(t.Context(), tt.token)
			if tt.wantKind != "" {
				if err == nil {
					t.Fatalf("Verify() = %+v, want %s error", got, tt.wantKind)
				}
				if kind := corridor.KindOf(err); kind != tt.wantKind {
					t.Errorf("KindOf() = %q, want %q (%v)", kind, tt.wantKind, err)
				}
				var ce *corridor.Error
				if errors.As(err, &ce) && !strings.Contains(ce.Message, tt.wantMsg) {
					t.Errorf("message %q does not mention %q", ce.Message, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify(): %v", err)
			}
			if got.Subject != tt.want.Subject || got.Username != tt.want.Username || got.ClientID != tt.want.ClientID ||
				!slices.Equal(got.Roles, tt.want.Roles) || got.Country != tt.want.Country || got.Agency != tt.want.Agency || got.Issuer != tt.want.Issuer {
				t.Errorf("Verify() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// gate is a transport that fails while closed, as a provider that is not up
// yet, and counts key set fetches.
type gate struct {
	open      atomic.Bool
	keyFetch  atomic.Int64
	discovery atomic.Int64
}

func (g *gate) RoundTrip(req *http.Request) (*http.Response, error) {
	if !g.open.Load() {
		return nil, errors.New("connection refused (gate closed)")
	}
	if strings.HasSuffix(req.URL.Path, "/keys") {
		g.keyFetch.Add(1)
	}
	if strings.HasSuffix(req.URL.Path, "/.well-known/openid-configuration") {
		g.discovery.Add(1)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestVerifyProviderNotUpYet(t *testing.T) {
	t.Parallel()
	ci := member(t, "CI")
	token := login(t, ci, "ci-inspector")
	g := &gate{}
	v := newVerifier(t, auth.Config{
		Issuers:       []auth.Issuer{{URL: ci.URL, Audience: "corridor-ci"}},
		HTTPClient:    &http.Client{Transport: g},
		RetryInterval: -1, // retry on every request
	})
	ctx := t.Context()
	for range 2 {
		if _, err := v.Verify(ctx, token); corridor.KindOf(err) != corridor.KindUnavailable {
			t.Fatalf("Verify with the provider down: %v, want unavailable", err)
		}
	}
	if err := v.Ready(ctx); err == nil {
		t.Error("Ready with the provider down = nil")
	}
	g.open.Store(true)
	p, err := v.Verify(ctx, token)
	if err != nil {
		t.Fatalf("Verify once the provider is up: %v", err)
	}
	if p.Subject != "ci-inspector" {
		t.Errorf("Subject = %q", p.Subject)
	}
	if err := v.Ready(ctx); err != nil {
		t.Errorf("Ready = %v", err)
	}
}

func TestVerifyRetryInterval(t *testing.T) {
	t.Parallel()
	ci := member(t, "CI")
	token := login(t, ci, "ci-inspector")
	g := &gate{}
	v := newVerifier(t, auth.Config{
		Issuers:       []auth.Issuer{{URL: ci.URL, Audience: "corridor-ci"}},
		HTTPClient:    &http.Client{Transport: g},
		RetryInterval: time.Hour,
	})
	if _, err := v.Verify(t.Context(), token); corridor.KindOf(err) != corridor.KindUnavailable {
		t.Fatalf("Verify: %v, want unavailable", err)
	}
	g.open.Store(true)
	// Within the retry interval the failure is remembered, not retried.
	if _, err := v.Verify(t.Context(), token); corridor.KindOf(err) != corridor.KindUnavailable {
		t.Fatalf("Verify within the retry interval: %v, want unavailable", err)
	}
	if n := g.discovery.Load(); n != 0 {
		t.Errorf("discovery requests within the retry interval = %d, want 0", n)
	}
}

func TestVerifyKeysUnreachable(t *testing.T) {
	t.Parallel()
	ci := member(t, "CI")
	token := login(t, ci, "ci-inspector")
	g := &gate{}
	g.open.Store(true)
	v := newVerifier(t, auth.Config{
		Issuers:    []auth.Issuer{{URL: ci.URL, Audience: "corridor-ci"}},
		HTTPClient: &http.Client{Transport: g},
	})
	if err := v.Ready(t.Context()); err != nil { // discovery only; no keys yet
		t.Fatalf("Ready: %v", err)
	}
	g.open.Store(false)
	if _, err := v.Verify(t.Context(), token); corridor.KindOf(err) != corridor.KindUnavailable {
		t.Errorf("Verify with the key set unreachable: %v, want unavailable", err)
	}
}

func TestKeySetRefreshIsRateLimited(t *testing.T) {
	t.Parallel()
	ci := member(t, "CI")
	token := login(t, ci, "ci-inspector")
	header := segment(t, token, 0)
	forged := func(i int) string {
		h := map[string]any{"alg": header["alg"], "typ": header["typ"], "kid": fmt.Sprintf("made-up-%d", i)}
		return with(token, 0, encode(t, h))
	}
	// go-oidc lets a fetch that starts just after another finished share its
	// result, so one forged token need not cause a fetch of its own. Without
	// the limit, a few forged tokens in a row soon do; with it, fifty never.
	const attempts = 50
	tests := []struct {
		name     string
		interval time.Duration
		limited  bool
	}{
		{"limited", time.Hour, true},
		{"unlimited", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := &gate{}
			g.open.Store(true)
			v := newVerifier(t, auth.Config{
				Issuers:            []auth.Issuer{{URL: ci.URL, Audience: "corridor-ci"}},
				HTTPClient:         &http.Client{Transport: g},
				KeyRefreshInterval: tt.interval,
			})
			if _, err := v.Verify(t.Context(), token); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			for i := range attempts {
				_, err := v.Verify(t.Context(), forged(i))
				if corridor.KindOf(err) != corridor.KindUnauthorized {
					t.Errorf("forged kid %d: %v, want unauthorized", i, err)
				}
				if !tt.limited && g.keyFetch.Load() > 1 {
					break
				}
			}
			// The cached keys still verify the genuine token.
			if _, err := v.Verify(t.Context(), token); err != nil {
				t.Errorf("Verify after forged tokens: %v", err)
			}
			n := g.keyFetch.Load()
			if tt.limited && n != 1 {
				t.Errorf("key set fetches = %d, want 1: the limit let forged tokens refetch", n)
			}
			if !tt.limited && n < 2 {
				t.Errorf("key set fetches = %d after %d forged tokens, want more than 1", n, attempts)
			}
		})
	}
}

func TestVerifyConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	ci := member(t, "CI")
	token := login(t, ci, "ci-inspector")
	g := &gate{}
	g.open.Store(true)
	v := newVerifier(t, auth.Config{
		Issuers:    []auth.Issuer{{URL: ci.URL, Audience: "corridor-ci"}},
		HTTPClient: &http.Client{Transport: g},
	})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = v.Verify(context.Background(), token)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Verify %d: %v", i, err)
		}
	}
	if n := g.discovery.Load(); n != 1 {
		t.Errorf("discovery requests = %d, want 1", n)
	}
}

func TestNewVerifierConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		issuers []auth.Issuer
	}{
		{"none", nil},
		{"not a URL", []auth.Issuer{{URL: "ci-idp", Audience: "a"}}},
		{"no audience", []auth.Issuer{{URL: "http://127.0.0.1:1"}}},
		{"bad member", []auth.Issuer{{URL: "http://127.0.0.1:1", Audience: "a", Member: "Côte"}}},
		{"duplicate", []auth.Issuer{{URL: "http://127.0.0.1:1", Audience: "a"}, {URL: "http://127.0.0.1:1", Audience: "b"}}},
	}
	for _, tt := range tests {
		if _, err := auth.NewVerifier(auth.Config{Issuers: tt.issuers}, discard()); err == nil {
			t.Errorf("%s: NewVerifier succeeded", tt.name)
		}
	}
}

func TestRequireAuth(t *testing.T) {
	t.Parallel()
	ci := member(t, "CI")
	token := login(t, ci, "ci-inspector")
	up := newVerifier(t, auth.Config{Issuers: []auth.Issuer{{URL: ci.URL, Audience: "corridor-ci"}}})
	down := newVerifier(t, auth.Config{
		Issuers:    []auth.Issuer{{URL: ci.URL, Audience: "corridor-ci"}},
		HTTPClient: &http.Client{Transport: &gate{}},
	})
	tests := []struct {
		name          string
		verifier      *auth.Verifier
		authorization string
		wantStatus    int
		wantChallenge string
	}{
		{"valid", up, "Bearer " + token, http.StatusOK, ""},
		{"scheme is case-insensitive", up, "bearer " + token, http.StatusOK, ""},
		{"missing header", up, "", http.StatusUnauthorized, `Bearer realm="corridor"`},
		{"basic auth", up, "Basic Y2k6cHc=", http.StatusUnauthorized, `Bearer realm="corridor"`},
		{"empty bearer", up, "Bearer ", http.StatusUnauthorized, `Bearer realm="corridor", error="invalid_token"`},
		{"bad token", up, "Bearer " + with(token, 2, "AAAA"), http.StatusUnauthorized, `Bearer realm="corridor", error="invalid_token"`},
		{"provider down", down, "Bearer " + token, http.StatusServiceUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen auth.Principal
			mux := httpapi.NewMux(discard())
			mux.Handle("GET /api/v1/referrals", auth.RequireAuth(tt.verifier, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, ok := auth.FromContext(r.Context())
				if !ok {
					t.Error("no principal in the context")
				}
				seen = p
				w.WriteHeader(http.StatusOK)
			})))
			h := httpapi.Middleware(discard(), nil, mux)
			req := httptest.NewRequest(http.MethodGet, "/api/v1/referrals", nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wantChallenge)
			}
			if tt.wantStatus == http.StatusOK {
				if seen.Subject != "ci-inspector" || !seen.Has(corridor.RoleInspector) {
					t.Errorf("principal = %+v", seen)
				}
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != httpapi.ContentTypeProblem {
				t.Errorf("Content-Type = %q, want problem+json", ct)
			}
			var p httpapi.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != tt.wantStatus || p.Detail == "" {
				t.Errorf("problem = %+v (%v)", p, err)
			}
		})
	}
}

func TestPrincipal(t *testing.T) {
	t.Parallel()
	p := auth.Principal{Roles: []corridor.Role{corridor.RoleCaseworker, corridor.RoleSupervisor}}
	if !p.Has(corridor.RoleSupervisor) || p.Has(corridor.RoleInspector) {
		t.Error("Has is wrong")
	}
	if !p.HasAny(corridor.RoleInspector, corridor.RoleCaseworker) || p.HasAny(corridor.RoleCoordinator) || p.HasAny() {
		t.Error("HasAny is wrong")
	}
	if _, ok := auth.FromContext(context.Background()); ok {
		t.Error("FromContext found a principal in an empty context")
	}
	got, ok := auth.FromContext(auth.NewContext(context.Background(), auth.Principal{Subject: "s"}))
	if !ok || got.Subject != "s" {
		t.Errorf("FromContext(NewContext()) = %+v, %v", got, ok)
	}
}
