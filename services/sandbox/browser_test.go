package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/services/sandbox/internal/browsertest"
	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
)

// TestBrowser starts the whole corridor as `make demo` does and uses its
// pages in headless Chromium on a phone-sized screen, in French, as the
// people of the demo corridor would. Every page visited is audited with
// axe-core (no serious or critical violation), weighed against the budget
// and must answer 200. UPDATE_SCREENSHOTS=1 writes the main pages'
// screenshots into docs/screenshots.
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
	ci := e.Members["CI"]

	t.Run("sign in and out", func(t *testing.T) {
		p := b.Phone(t, "fr-FR,fr")
		signIn(t, p, e, ci.Casework, "/", "ci-inspector", "idp-login")
		checkPage(t, p, "the signed-in home page", "")
		signOut(t, p, ci.Casework)
	})
}

// checkPage checks the page the phone shows as every page is checked: it
// answered 200, axe-core finds nothing serious, and it is within the
// budget; shot, if not empty, names its screenshot.
func checkPage(t *testing.T, p *browsertest.Phone, name, shot string) {
	t.Helper()
	if got := p.Status(); got != 200 {
		t.Errorf("%s (%s) answered %d", name, p.URL(), got)
	}
	p.CheckPage(name, shot)
}

// signIn opens path on site, which sends the phone to sign in at the
// country's identity provider; it checks that page, signs in as username
// and waits to be back at path.
func signIn(t *testing.T, p *browsertest.Phone, e sandbox.Endpoints, site, path, username, shot string) {
	t.Helper()
	p.Navigate(site + path)
	p.WaitFor("the identity provider's sign-in page", `document.getElementById("username")`)
	checkPage(t, p, "the identity provider's sign-in page", shot)
	p.SignIn(username, demoPassword(t, e, username))
	p.WaitFor("the way back to "+path, `location.origin + location.pathname === `+jsString(site+path))
}

// signOut signs out with the page's sign-out button, checks the page that
// says so, and that the site then asks to sign in again.
func signOut(t *testing.T, p *browsertest.Phone, site string) {
	t.Helper()
	p.Do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button[type="submit"]`)))
	p.WaitFor("the signed-out page", `location.pathname === "/logged-out"`)
	checkPage(t, p, "the signed-out page", "")
	p.Navigate(site + "/")
	p.WaitFor("the identity provider's sign-in page after signing out", `document.getElementById("username")`)
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

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
