package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/services/sandbox/internal/browsertest"
	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
)

// TestBrowser starts the whole corridor as `make demo` does and uses its
// pages in headless Chromium on a phone-sized screen, as the people of the
// demo corridor would: every page visited is audited with axe-core (no
// serious or critical violation) and weighed against the budget.
// UPDATE_SCREENSHOTS=1 writes the main pages' screenshots into
// docs/screenshots.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole corridor and a browser")
	}
	// The browser first: without one the test skips before building.
	b := browsertest.Start(t)
	root, err := natsconf.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	cfg := sandbox.Config{
		Dir:    filepath.Join(searchableTempDir(t), ".sandbox"),
		BinDir: buildServices(t, root),
		Root:   root,
		Out:    &testWriter{t: t},
	}
	startSandbox(t, cfg)
	e, _ := readEndpoints(t, cfg.Dir)

	t.Run("identity provider", func(t *testing.T) {
		ci := e.Members["CI"]
		phone := b.Phone(t, "fr-FR,fr;q=0.9")
		phone.Navigate(authorizeURL(t, ci.IdP, ci.Casework+"/auth/callback"))
		phone.WaitFor("the sign-in page", `document.getElementById("username")`)
		phone.CheckPage("the identity provider's sign-in page", "idp-login")
		phone.SignIn("ci-inspector", demoPassword(t, e, "ci-inspector"))
		back, err := url.Parse(phone.URL())
		if err != nil || back.Query().Get("code") == "" || !strings.HasPrefix(back.String(), ci.Casework) {
			t.Errorf("after signing in the phone is at %q, want the callback with a code", phone.URL())
		}
	})
}

// authorizeURL is the address where a web app sends a person to sign in
// at issuer with PKCE, as the demo's public client.
func authorizeURL(t *testing.T, issuer, redirect string) string {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var discovery struct {
		Authorization string `json:"authorization_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&discovery); err != nil {
		t.Fatalf("read %s's discovery document: %v", issuer, err)
	}
	conf := oauth2.Config{
		ClientID:    "corridor-web",
		Endpoint:    oauth2.Endpoint{AuthURL: discovery.Authorization},
		RedirectURL: redirect,
		Scopes:      []string{"openid", "profile"},
	}
	return conf.AuthCodeURL("state-"+randomLetters(t, 12), oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
}

// demoPassword is username's password in endpoints.json.
func demoPassword(t *testing.T, e sandbox.Endpoints, username string) string {
	t.Helper()
	for _, u := range e.Users {
		if u.Username == username {
			return u.Password
		}
	}
	t.Fatalf("no demo user %s in endpoints.json", username)
	return ""
}
