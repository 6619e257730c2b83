package idp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/services/sandbox/internal/idp"
)

// serve runs Serve on a fresh loopback listener with cfg (Addr and Issuer
// filled in) until the returned stop is called.
func serve(t *testing.T, cfg idp.Config) (idp.Config, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	cfg.Issuer = "http://" + cfg.Addr
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- idp.Serve(ctx, ln, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
	t.Cleanup(stop)
	return cfg, stop
}

func testConfig(t *testing.T) idp.Config {
	return idp.Config{
		Audience:      "corridor-ci",
		Country:       "CI",
		KeyFile:       filepath.Join(t.TempDir(), "ci-signing-key.pem"),
		TokenLifetime: "8h30m",
		Users: []idp.User{{
			Username: "ci-inspector", Password: "corridor-demo", Roles: []string{"inspector"}, Agency: "CI-DGT",
		}},
		Clients: []idp.Client{{ID: "corridor-web", Public: true, RedirectURIs: []string{"http://127.0.0.1/callback"}}},
	}
}

// claims decodes a JWT's payload without verifying it: the services verify
// tokens; this test checks what the provider put in them.
func claims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func header(t *testing.T, jwt string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestLoginAndKeyKeptAcrossRestarts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := testConfig(t)
	cfg, stop := serve(t, base)

	tok, err := oidcdev.PasswordLogin(ctx, nil, cfg.Issuer, "corridor-web", "http://127.0.0.1/callback", "ci-inspector", "corridor-demo")
	if err != nil {
		t.Fatalf("PasswordLogin: %v", err)
	}
	c := claims(t, tok.AccessToken)
	if c["iss"] != cfg.Issuer || c["corridor_agency"] != "CI-DGT" || c["corridor_country"] != "CI" {
		t.Errorf("claims = %v", c)
	}
	if left := time.Until(tok.Expiry); left < 8*time.Hour {
		t.Errorf("token valid for %s, want at least 8h", left)
	}
	if _, err := os.Stat(base.KeyFile); err != nil {
		t.Fatalf("signing key not written to the key file: %v", err)
	}
	kid := header(t, tok.AccessToken)["kid"]
	stop()

	// A restarted provider on the same key file publishes the same key, so
	// tokens issued before the restart still verify.
	cfg2, _ := serve(t, base)
	resp, err := http.Get(cfg2.Issuer + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
		t.Fatal(err)
	}
	if len(jwks.Keys) != 1 || jwks.Keys[0].Kid != kid {
		t.Errorf("keys after restart = %+v, want the one kid %v", jwks.Keys, kid)
	}

	_, err = oidcdev.PasswordLogin(ctx, nil, cfg2.Issuer, "corridor-web", "http://127.0.0.1/callback", "ci-inspector", "wrong")
	if err == nil {
		t.Error("login with a wrong password succeeded")
	}
}

func TestReadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"good", write("good.json", `{"addr": "127.0.0.1:1", "issuer": "http://127.0.0.1:1", "audience": "corridor-ci", "country": "CI"}`), ""},
		{"unknown field", write("typo.json", `{"addr": "127.0.0.1:1", "isuer": "x"}`), "unknown field"},
		{"no addr", write("noaddr.json", `{"issuer": "http://127.0.0.1:1"}`), "addr is required"},
		{"missing", filepath.Join(dir, "absent.json"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := idp.ReadConfig(tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ReadConfig: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ReadConfig error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestProviderRejectsBadLifetime(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.TokenLifetime = "eight hours"
	if _, err := cfg.Provider(); err == nil {
		t.Error("Provider accepted a token lifetime that is not a duration")
	}
}
