package oidcdev

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"github.com/corridor-org/corridor/pkg/logtest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/corridor-org/corridor/pkg/corridor"
)

const (
	testAudience    = "corridor-ci"
	testWebClient   = "casework-ci-web"
	testRedirect    = "http://127.0.0.1:8080/auth/callback"
	testRelayClient = "relay-ci"
	testRelaySecret = "relay-secret"
)

func testConfig() Config {
	return Config{
		Audience: testAudience,
		Country:  "CI",
		Users: []User{{
			Username: "awa", Password: "s3cret!", Name: "Awa Inspector",
			Roles: []string{"inspector"}, Agency: "CI-DGT",
		}, {
			Username: "koffi", Password: "other", Subject: "user-0002",
			Roles: []string{"caseworker", "supervisor"}, Country: "CI", Agency: "CI-DPE",
		}},
		Clients: []Client{
			{ID: testWebClient, Public: true, RedirectURIs: []string{testRedirect}},
			{ID: testRelayClient, Secret: testRelaySecret, Roles: []string{"service"}, Agency: "CI-RELAY"},
			{ID: "authcallout-ci", Secret: "cb-secret", Roles: []string{"service"}, Audience: "nats-ci"},
			{ID: "web-confidential", Secret: "web-secret", RedirectURIs: []string{testRedirect}},
		},
	}
}

type testServer struct {
	url      string
	provider *Provider
	logs     *logtest.Buffer
}

// start serves a provider for the test on a loopback port.
func start(t *testing.T, cfg Config) *testServer {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + srv.Listener.Addr().String() + strings.TrimSuffix(cfg.Issuer, "/")
	logs := &logtest.Buffer{}
	p, err := New(cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		srv.Close()
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", p.Handler())
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return &testServer{url: cfg.Issuer, provider: p, logs: logs}
}

type accessClaims struct {
	Subject   string   `json:"sub"`
	Issuer    string   `json:"iss"`
	Audience  []string `json:"aud"`
	ClientID  string   `json:"client_id"`
	Username  string   `json:"preferred_username"`
	Name      string   `json:"name"`
	Roles     []string `json:"corridor_roles"`
	Country   string   `json:"corridor_country"`
	Agency    string   `json:"corridor_agency"`
	IssuedAt  int64    `json:"iat"`
	ExpiresAt int64    `json:"exp"`
}

func verifyAccess(t *testing.T, ctx context.Context, issuer, audience, raw string, now func() time.Time) (accessClaims, error) {
	t.Helper()
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discover: %v", err)
	}
	tok, err := p.Verifier(&oidc.Config{ClientID: audience, Now: now}).Verify(ctx, raw)
	if err != nil {
		return accessClaims{}, err
	}
	var c accessClaims
	if err := tok.Claims(&c); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return c, nil
}

func TestDiscovery(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", "/idp/ci"} {
		t.Run("issuer path "+path, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.Issuer = path
			s := start(t, cfg)
			ctx := t.Context()
			p, err := oidc.NewProvider(ctx, s.url)
			if err != nil {
				t.Fatalf("NewProvider(%s): %v", s.url, err)
			}
			var meta struct {
				Issuer        string   `json:"issuer"`
				JWKS          string   `json:"jwks_uri"`
				Userinfo      string   `json:"userinfo_endpoint"`
				EndSession    string   `json:"end_session_endpoint"`
				GrantTypes    []string `json:"grant_types_supported"`
				PKCEMethods   []string `json:"code_challenge_methods_supported"`
				SigningAlgs   []string `json:"id_token_signing_alg_values_supported"`
				ClaimsSupport []string `json:"claims_supported"`
			}
			if err := p.Claims(&meta); err != nil {
				t.Fatalf("claims: %v", err)
			}
			if meta.Issuer != s.url || !strings.HasPrefix(meta.JWKS, s.url+"/") || meta.Userinfo == "" || meta.EndSession == "" {
				t.Errorf("metadata = %+v", meta)
			}
			for _, g := range []string{"authorization_code", "client_credentials"} {
				if !slices.Contains(meta.GrantTypes, g) {
					t.Errorf("grant_types_supported %v lacks %s", meta.GrantTypes, g)
				}
			}
			if !slices.Contains(meta.PKCEMethods, "S256") || !slices.Contains(meta.SigningAlgs, "RS256") {
				t.Errorf("PKCE methods %v, algs %v", meta.PKCEMethods, meta.SigningAlgs)
			}
			if !slices.Contains(meta.ClaimsSupport, ClaimRoles) {
				t.Errorf("claims_supported %v lacks %s", meta.ClaimsSupport, ClaimRoles)
			}
			resp, err := http.Get(meta.JWKS)
			if err != nil {
				t.Fatalf("get jwks: %v", err)
			}
			defer resp.Body.Close()
			var jwks struct {
				Keys []struct {
					Kid, Alg, Use, Kty string
				} `json:"keys"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
				t.Fatalf("decode jwks: %v", err)
			}
			if len(jwks.Keys) != 1 || jwks.Keys[0].Kid != s.provider.KeyID() || jwks.Keys[0].Alg != "RS256" || jwks.Keys[0].Kty != "RSA" {
				t.Errorf("jwks = %+v, want one RS256 key %s", jwks, s.provider.KeyID())
			}
		})
	}
}

func TestPasswordLogin(t *testing.T) {
	t.Parallel()
	s := start(t, testConfig())
	ctx := t.Context()
	tests := []struct {
		username, password string
		want               accessClaims
	}{
		{"awa", "s3cret!", accessClaims{Subject: "awa", Username: "awa", Name: "Awa Inspector", Roles: []string{"inspector"}, Country: "CI", Agency: "CI-DGT"}},
		{"koffi", "other", accessClaims{Subject: "user-0002", Username: "koffi", Roles: []string{"caseworker", "supervisor"}, Country: "CI", Agency: "CI-DPE"}},
	}
	for _, tt := range tests {
		t.Run(tt.username, func(t *testing.T) {
			t.Parallel()
			before := time.Now().Add(-time.Second)
			tok, err := PasswordLogin(ctx, nil, s.url, testWebClient, testRedirect, tt.username, tt.password)
			if err != nil {
				t.Fatalf("PasswordLogin: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.Expiry.Before(before.Add(DefaultTokenLifetime)) {
				t.Errorf("token type %q expiry %v, want Bearer and ≥ %v from now", tok.TokenType, tok.Expiry, DefaultTokenLifetime)
			}
			got, err := verifyAccess(t, ctx, s.url, testAudience, tok.AccessToken, nil)
			if err != nil {
				t.Fatalf("verify access token: %v", err)
			}
			if got.Issuer != s.url || !slices.Equal(got.Audience, []string{testAudience}) || got.ClientID != testWebClient {
				t.Errorf("iss %q aud %v client_id %q", got.Issuer, got.Audience, got.ClientID)
			}
			if got.Subject != tt.want.Subject || got.Username != tt.want.Username || got.Name != tt.want.Name ||
				!slices.Equal(got.Roles, tt.want.Roles) || got.Country != tt.want.Country || got.Agency != tt.want.Agency {
				t.Errorf("claims = %+v, want %+v", got, tt.want)
			}
			if life := time.Duration(got.ExpiresAt-got.IssuedAt) * time.Second; life != DefaultTokenLifetime {
				t.Errorf("exp - iat = %v, want %v", life, DefaultTokenLifetime)
			}

			// The ID token is for the client and carries no corridor claims.
			rawID, _ := tok.Extra("id_token").(string)
			p, err := oidc.NewProvider(ctx, s.url)
			if err != nil {
				t.Fatalf("discover: %v", err)
			}
			idTok, err := p.Verifier(&oidc.Config{ClientID: testWebClient}).Verify(ctx, rawID)
			if err != nil {
				t.Fatalf("verify id token: %v", err)
			}
			var idClaims map[string]any
			if err := idTok.Claims(&idClaims); err != nil {
				t.Fatalf("id claims: %v", err)
			}
			if _, ok := idClaims[ClaimRoles]; ok || idClaims["sub"] != tt.want.Subject {
				t.Errorf("id token claims = %v", idClaims)
			}
		})
	}
}

func TestPasswordLoginFailures(t *testing.T) {
	t.Parallel()
	s := start(t, testConfig())
	tests := []struct {
		name                                 string
		client, redirect, username, password string
		wantBadCredentials                   bool
	}{
		{"wrong password", testWebClient, testRedirect, "awa", "wrong", true},
		{"empty password", testWebClient, testRedirect, "awa", "", true},
		{"unknown user", testWebClient, testRedirect, "nobody", "s3cret!", true},
		{"another user's password", testWebClient, testRedirect, "awa", "other", true},
		{"unknown client", "nobody", testRedirect, "awa", "s3cret!", false},
		{"unregistered redirect", testWebClient, "http://127.0.0.1:8080/elsewhere", "awa", "s3cret!", false},
		{"client without redirect URIs", testRelayClient, testRedirect, "awa", "s3cret!", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := PasswordLogin(t.Context(), nil, s.url, tt.client, tt.redirect, tt.username, tt.password)
			if err == nil {
				t.Fatalf("PasswordLogin succeeded with token for %q", tok.AccessToken[:10])
			}
			if got := errors.Is(err, ErrBadCredentials); got != tt.wantBadCredentials {
				t.Errorf("errors.Is(%v, ErrBadCredentials) = %v, want %v", err, got, tt.wantBadCredentials)
			}
		})
	}
	if strings.Contains(s.logs.String(), "s3cret!") || strings.Contains(s.logs.String(), `"wrong"`) {
		t.Errorf("a password reached the log:\n%s", s.logs.String())
	}
}

// webConfig is an oauth2 config for the public test client.
func webConfig(t *testing.T, issuer string) *oauth2.Config {
	t.Helper()
	conf, err := discover(t.Context(), nil, issuer)
	if err != nil {
		t.Fatalf("discover: %v", err)
	}
	conf.ClientID = testWebClient
	conf.RedirectURL = testRedirect
	conf.Scopes = []string{"openid"}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	return conf
}

func TestPKCE(t *testing.T) {
	t.Parallel()
	s := start(t, testConfig())
	verifier := oauth2.GenerateVerifier()
	tests := []struct {
		name          string
		client        string
		authOpts      []oauth2.AuthCodeOption
		exchangeOpts  []oauth2.AuthCodeOption
		wantAuthorize bool
		wantExchange  bool
	}{
		{"S256 with the right verifier", testWebClient, []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, true, true},
		{"no verifier at the token endpoint", testWebClient, []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, nil, true, false},
		{"wrong verifier", testWebClient, []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, []oauth2.AuthCodeOption{oauth2.VerifierOption(oauth2.GenerateVerifier())}, true, false},
		{"public client without challenge", testWebClient, nil, nil, false, false},
		{"plain method", testWebClient, []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("code_challenge", verifier),
			oauth2.SetAuthURLParam("code_challenge_method", "plain"),
		}, []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, false, false},
		{"challenge without method defaults to plain", testWebClient, []oauth2.AuthCodeOption{
			oauth2.SetAuthURLParam("code_challenge", verifier),
		}, []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			conf := webConfig(t, s.url)
			code, err := authorize(ctx, nil, conf, "awa", "s3cret!", tt.authOpts...)
			if (err == nil) != tt.wantAuthorize {
				t.Fatalf("authorize() error = %v, want success %v", err, tt.wantAuthorize)
			}
			if err != nil {
				return
			}
			tok, err := conf.Exchange(ctx, code, tt.exchangeOpts...)
			if (err == nil) != tt.wantExchange {
				t.Fatalf("Exchange() error = %v, want success %v", err, tt.wantExchange)
			}
			if err != nil {
				return
			}
			if _, err := verifyAccess(t, ctx, s.url, testAudience, tok.AccessToken, nil); err != nil {
				t.Errorf("verify: %v", err)
			}
			// Codes are single-use.
			if _, err := conf.Exchange(ctx, code, tt.exchangeOpts...); err == nil {
				t.Error("second exchange of the same code succeeded")
			}
		})
	}
}

func TestConfidentialClientCodeFlow(t *testing.T) {
	t.Parallel()
	s := start(t, testConfig())
	ctx := t.Context()
	conf := webConfig(t, s.url)
	conf.ClientID = "web-confidential"
	conf.ClientSecret = "web-secret"
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	verifier := oauth2.GenerateVerifier()
	code, err := authorize(ctx, nil, conf, "koffi", "other", oauth2.S256ChallengeOption(verifier))
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	wrong := *conf
	wrong.ClientSecret = "nope"
	if _, err := wrong.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
		t.Fatal("exchange with a wrong client secret succeeded")
	}
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	got, err := verifyAccess(t, ctx, s.url, testAudience, tok.AccessToken, nil)
	if err != nil || got.Subject != "user-0002" {
		t.Errorf("verify: %+v, %v", got, err)
	}
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	s := start(t, testConfig())
	tests := []struct {
		name, client, secret string
		wantAudience         string
		want                 accessClaims
		wantErr              bool
	}{
		{"relay", testRelayClient, testRelaySecret, testAudience, accessClaims{Subject: testRelayClient, Username: testRelayClient, Roles: []string{"service"}, Country: "CI", Agency: "CI-RELAY"}, false},
		{"own audience", "authcallout-ci", "cb-secret", "nats-ci", accessClaims{Subject: "authcallout-ci", Username: "authcallout-ci", Roles: []string{"service"}, Country: "CI"}, false},
		{"wrong secret", testRelayClient, "nope", "", accessClaims{}, true},
		{"empty secret", testRelayClient, "", "", accessClaims{}, true},
		{"unknown client", "stranger", testRelaySecret, "", accessClaims{}, true},
		{"public client", testWebClient, "", "", accessClaims{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			tok, err := ClientCredentials(ctx, nil, s.url, tt.client, tt.secret, "nats")
			if tt.wantErr {
				if err == nil {
					t.Fatal("ClientCredentials succeeded, want error")
				}
				return
			}
			if err != nil {
				t.Fatalf("ClientCredentials: %v", err)
			}
			got, err := verifyAccess(t, ctx, s.url, tt.wantAudience, tok.AccessToken, nil)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if got.Subject != tt.want.Subject || got.Username != tt.want.Username || !slices.Equal(got.Roles, tt.want.Roles) ||
				got.Country != tt.want.Country || got.Agency != tt.want.Agency || got.ClientID != tt.client {
				t.Errorf("claims = %+v, want %+v", got, tt.want)
			}
			if _, err := verifyAccess(t, ctx, s.url, "corridor-bf", tok.AccessToken, nil); err == nil {
				t.Error("token verified for another audience")
			}
		})
	}
}

func TestTokenLifetime(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.TokenLifetime = time.Hour
	s := start(t, cfg)
	ctx := t.Context()
	tok, err := ClientCredentials(ctx, nil, s.url, testRelayClient, testRelaySecret)
	if err != nil {
		t.Fatalf("ClientCredentials: %v", err)
	}
	c, err := verifyAccess(t, ctx, s.url, testAudience, tok.AccessToken, nil)
	if err != nil {
		t.Fatalf("verify now: %v", err)
	}
	if life := time.Duration(c.ExpiresAt-c.IssuedAt) * time.Second; life != time.Hour {
		t.Errorf("exp - iat = %v, want 1h", life)
	}
	issued := time.Unix(c.IssuedAt, 0)
	tests := []struct {
		at      time.Time
		wantErr bool
	}{
		{issued.Add(59 * time.Minute), false},
		{issued.Add(time.Hour + time.Second), true},
		{issued.Add(9 * time.Hour), true},
	}
	for _, tt := range tests {
		_, err := verifyAccess(t, ctx, s.url, testAudience, tok.AccessToken, func() time.Time { return tt.at })
		var expired *oidc.TokenExpiredError
		if got := errors.As(err, &expired); got != tt.wantErr {
			t.Errorf("verify at iat+%v: err = %v, want expired %v", tt.at.Sub(issued), err, tt.wantErr)
		}
	}
}

func TestKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "keys", "idp-ci.pem")
	cfg := testConfig()
	cfg.KeyFile = keyFile

	first := start(t, cfg)
	info, err := os.Stat(keyFile)
	if err != nil {
		t.Fatalf("key file not written: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %v, want 0600", perm)
	}
	tok, err := ClientCredentials(t.Context(), nil, first.url, testRelayClient, testRelaySecret)
	if err != nil {
		t.Fatalf("ClientCredentials: %v", err)
	}

	// A restarted provider (same key file, same address in the sandbox;
	// here a new port, so the issuer differs) signs with the same key.
	second := start(t, cfg)
	if first.provider.KeyID() != second.provider.KeyID() {
		t.Errorf("key id changed across restart: %s, %s", first.provider.KeyID(), second.provider.KeyID())
	}
	p, err := oidc.NewProvider(t.Context(), second.url)
	if err != nil {
		t.Fatalf("discover: %v", err)
	}
	v := p.Verifier(&oidc.Config{ClientID: testAudience, SkipIssuerCheck: true})
	if _, err := v.Verify(t.Context(), tok.AccessToken); err != nil {
		t.Errorf("token of the first run does not verify against the second's keys: %v", err)
	}
}

func TestKeyFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	notRSA := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(notRSA, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{garbage, notRSA} {
		cfg := testConfig()
		cfg.Issuer = "http://127.0.0.1:1"
		cfg.KeyFile = path
		if _, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
			t.Errorf("New with key file %s succeeded", filepath.Base(path))
		}
	}
}

func TestPKCS1KeyFile(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := newSigningKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pkcs1.pem")
	if err := os.WriteFile(path, pemPKCS1(key), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Issuer = "http://127.0.0.1:1"
	cfg.KeyFile = path
	p, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if p.KeyID() != sk.id {
		t.Errorf("KeyID = %s, want %s", p.KeyID(), sk.id)
	}
}

func TestLoginPage(t *testing.T) {
	t.Parallel()
	s := start(t, testConfig())
	conf := webConfig(t, s.url)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	resp, err := client.Get(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loginURL, err := resp.Location()
	if err != nil || !strings.HasPrefix(loginURL.String(), s.url+"/login?") {
		t.Fatalf("authorize redirected to %v (%v), want the login page", loginURL, err)
	}

	resp, err = client.Get(loginURL.String())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := loginURL.Query().Get(loginRequestParam)
	if resp.StatusCode != 200 || !strings.Contains(string(page), `value="`+id+`"`) || !strings.Contains(string(page), `type="password"`) {
		t.Fatalf("login page %d:\n%s", resp.StatusCode, page)
	}

	post := func(username, password string) (*http.Response, string) {
		resp, err := client.PostForm(s.url+"/login", url.Values{loginRequestParam: {id}, "username": {username}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	resp, body := post("awa", "hunter2-<script>")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong username or password.") {
		t.Errorf("wrong password: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, "hunter2") || strings.Contains(s.logs.String(), "hunter2") {
		t.Error("the wrong password was echoed or logged")
	}
	if !strings.Contains(body, `value="awa"`) {
		t.Error("the username was not kept in the form")
	}

	resp, _ = post("awa", "s3cret!")
	if resp.StatusCode != http.StatusFound || !strings.Contains(resp.Header.Get("Location"), "/authorize/callback?id=") {
		t.Errorf("right password: %d to %q, want 302 to the callback", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The request is now used up.
	resp, _ = post("awa", "s3cret!")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed login: %d, want 400", resp.StatusCode)
	}
	id = "ar_unknown"
	resp, body = post("awa", "s3cret!")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "expired") {
		t.Errorf("unknown request: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(s.logs.String(), "s3cret!") {
		t.Errorf("a password reached the log:\n%s", s.logs.String())
	}
}

func TestUserinfo(t *testing.T) {
	t.Parallel()
	s := start(t, testConfig())
	ctx := t.Context()
	tok, err := PasswordLogin(ctx, nil, s.url, testWebClient, testRedirect, "awa", "s3cret!")
	if err != nil {
		t.Fatalf("PasswordLogin: %v", err)
	}
	p, err := oidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	var claims struct {
		Username string   `json:"preferred_username"`
		Roles    []string `json:"corridor_roles"`
		Country  string   `json:"corridor_country"`
	}
	if err := info.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if info.Subject != "awa" || claims.Username != "awa" || !slices.Equal(claims.Roles, []string{"inspector"}) || claims.Country != "CI" {
		t.Errorf("userinfo = %s %+v", info.Subject, claims)
	}

	bad := &oauth2.Token{AccessToken: tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA", TokenType: "Bearer"}
	if _, err := p.UserInfo(ctx, oauth2.StaticTokenSource(bad)); err == nil {
		t.Error("UserInfo with a tampered token succeeded")
	}
}

func TestEndSession(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Issuer = "/idp"
	cfg.Clients[0].PostLogoutRedirectURIs = []string{"http://127.0.0.1:8080/bye"}
	s := start(t, cfg)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		redirect   string
		wantStatus int
		want       string
	}{
		{"http://127.0.0.1:8080/bye", http.StatusFound, "http://127.0.0.1:8080/bye"},
		{"", http.StatusFound, s.url + "/logged-out"},
		{"http://evil.example/", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		q := url.Values{"client_id": {testWebClient}}
		if tt.redirect != "" {
			q.Set("post_logout_redirect_uri", tt.redirect)
		}
		resp, err := client.Get(s.url + "/end_session?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("end_session to %q: status %d, want %d", tt.redirect, resp.StatusCode, tt.wantStatus)
			continue
		}
		if tt.want == "" {
			continue
		}
		loc, err := resp.Location()
		if err != nil || !strings.HasPrefix(loc.String(), tt.want) {
			t.Errorf("end_session to %q: redirect %v, want %s", tt.redirect, loc, tt.want)
			continue
		}
		if tt.want != s.url+"/logged-out" {
			continue
		}
		page, err := http.Get(loc.String())
		if err != nil {
			t.Fatal(err)
		}
		page.Body.Close()
		if page.StatusCode != http.StatusOK {
			t.Errorf("logged-out page: %s", page.Status)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"no issuer", func(c *Config) { c.Issuer = "" }},
		{"issuer not a URL", func(c *Config) { c.Issuer = "127.0.0.1:9000" }},
		{"issuer with query", func(c *Config) { c.Issuer = "http://127.0.0.1:9000?x=1" }},
		{"no audience", func(c *Config) { c.Audience = "" }},
		{"no country", func(c *Config) { c.Country = "" }},
		{"negative lifetime", func(c *Config) { c.TokenLifetime = -time.Second }},
		{"duplicate username", func(c *Config) { c.Users = append(c.Users, User{Username: "awa", Password: "x", Subject: "other"}) }},
		{"duplicate subject", func(c *Config) { c.Users = append(c.Users, User{Username: "other", Password: "x", Subject: "awa"}) }},
		{"user without password", func(c *Config) { c.Users[0].Password = "" }},
		{"unknown role", func(c *Config) { c.Users[0].Roles = []string{"root"} }},
		{"public client with secret", func(c *Config) { c.Clients[0].Secret = "x" }},
		{"confidential client without secret", func(c *Config) { c.Clients[1].Secret = "" }},
		{"public client without redirects", func(c *Config) { c.Clients[0].RedirectURIs = nil }},
		{"relative redirect", func(c *Config) { c.Clients[0].RedirectURIs = []string{"/cb"} }},
		{"duplicate client", func(c *Config) { c.Clients = append(c.Clients, c.Clients[1]) }},
		{"unknown client role", func(c *Config) { c.Clients[1].Roles = []string{"root"} }},
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.Issuer = "http://127.0.0.1:9000"
			tt.mutate(&cfg)
			if _, err := New(cfg, logger); err == nil {
				t.Error("New succeeded, want a config error")
			}
		})
	}
}

func TestDemoUsers(t *testing.T) {
	t.Parallel()
	users := DemoUsers("BF")
	cfg := Config{
		Audience: "corridor-bf", Country: "BF", Users: users,
		Clients: []Client{{ID: "casework-bf", Public: true, RedirectURIs: []string{testRedirect}}},
	}
	s := start(t, cfg)
	wantRoles := map[string][]string{
		"bf-inspector":   {"inspector"},
		"bf-caseworker":  {"caseworker"},
		"bf-supervisor":  {"caseworker", "supervisor"},
		"bf-coordinator": {"coordinator"},
		"bf-admin":       {"admin"},
		"bf-auditor":     {"auditor"},
	}
	if len(users) != len(wantRoles) {
		t.Fatalf("DemoUsers returned %d users, want %d", len(users), len(wantRoles))
	}
	for _, u := range users {
		t.Run(u.Username, func(t *testing.T) {
			t.Parallel()
			tok, err := PasswordLogin(t.Context(), nil, s.url, "casework-bf", testRedirect, u.Username, DemoPassword)
			if err != nil {
				t.Fatalf("PasswordLogin: %v", err)
			}
			c, err := verifyAccess(t, t.Context(), s.url, "corridor-bf", tok.AccessToken, nil)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if !slices.Equal(c.Roles, wantRoles[u.Username]) || c.Country != "BF" || !strings.HasPrefix(c.Agency, "BF-") {
				t.Errorf("claims = %+v", c)
			}
		})
	}
}

func TestValidRole(t *testing.T) {
	t.Parallel()
	for _, r := range corridor.Roles() {
		if !validRole(string(r)) {
			t.Errorf("validRole(%q) = false", r)
		}
	}
	if validRole("root") || validRole("") {
		t.Error("validRole accepted an unknown role")
	}
}

// TestUserClaims: a user's extra claims shape its access tokens like
// another provider's, and cannot replace the registered ones.
func TestUserClaims(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Users = append(cfg.Users, User{
		Username: "keycloak-user", Password: "pw", Agency: "CI-DPE",
		Claims: map[string]any{
			"realm_access": map[string]any{"roles": []string{"dpe-officer"}},
			"sub":          "someone-else",
			ClaimAgency:    "CI-ABRI",
		},
	})
	s := start(t, cfg)
	tok, err := PasswordLogin(t.Context(), nil, s.url, testWebClient, testRedirect, "keycloak-user", "pw")
	if err != nil {
		t.Fatalf("PasswordLogin: %v", err)
	}
	p, err := oidc.NewProvider(t.Context(), s.url)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: testAudience}).Verify(t.Context(), tok.AccessToken)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var c struct {
		Subject string `json:"sub"`
		Realm   struct {
			Roles []string `json:"roles"`
		} `json:"realm_access"`
		Agency string `json:"corridor_agency"`
	}
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if c.Subject != "keycloak-user" || !slices.Equal(c.Realm.Roles, []string{"dpe-officer"}) || c.Agency != "CI-ABRI" {
		t.Errorf("claims = %+v", c)
	}
}
