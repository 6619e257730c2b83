package app_test

import (
	"context"
	"crypto/hpke"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/directorytest"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/pkg/signing"
	"github.com/corridor-org/corridor/pkg/weblogin"
	"github.com/corridor-org/corridor/services/casework/internal/app"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

// empty is a database without any schema: the service migrates it.
var empty = pgtest.Template{Name: "empty"}

const redirectURI = "http://127.0.0.1/callback"

// writeDirectory publishes a valid signed directory of CI, BF and the
// coordinator, issued now and expiring at expires.
func writeDirectory(t *testing.T, ciIssuer string, expires time.Time) directorytest.Files {
	t.Helper()
	issued := time.Now().Add(-time.Hour)
	if !expires.After(issued) {
		issued = expires.Add(-time.Hour)
	}
	keys := func(id string) ([]directory.Key, []directory.Key) {
		enc, err := hpke.MLKEM768X25519().GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		sig, _, err := signing.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		return []directory.Key{{ID: id + "-enc", Algorithm: directory.EncryptionAlgorithm, PublicKey: enc.PublicKey().Bytes(), NotBefore: issued, NotAfter: expires}},
			[]directory.Key{{ID: id + "-sig", Algorithm: directory.SigningAlgorithm, PublicKey: sig, NotBefore: issued, NotAfter: expires}}
	}
	ciEnc, ciSig := keys("ci")
	bfEnc, bfSig := keys("bf")
	_, coordSig := keys("coord")
	services := []string{"family_tracing", "reunification", "education", "psychosocial"}
	d := &directory.Directory{
		Corridor: "ci-bf", Version: 1, IssuedAt: issued, ExpiresAt: expires,
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 48, HandoverWithinDays: 30, FollowUpEveryDays: 180},
		Members: []directory.Member{
			{Code: "CI", Name: "Côte d'Ivoire", JetStreamDomain: "ci", OIDC: &directory.OIDC{Issuer: ciIssuer, Audience: "corridor-ci"},
				EncryptionKeys: ciEnc, SigningKeys: ciSig, Agencies: []directory.Agency{
					{ID: "CI-DGT", Name: "Labour inspection"}, {ID: "CI-DPE", Name: "Child protection", Services: services}}},
			{Code: "BF", Name: "Burkina Faso", JetStreamDomain: "bf", OIDC: &directory.OIDC{Issuer: "http://127.0.0.1:1", Audience: "corridor-bf"},
				EncryptionKeys: bfEnc, SigningKeys: bfSig, Agencies: []directory.Agency{
					{ID: "BF-DGT", Name: "Labour inspection"}, {ID: "BF-DPE", Name: "Child protection", Services: services}}},
			{Code: corridor.Coordinator, Name: "ECOWAS", JetStreamDomain: "coord", SigningKeys: coordSig,
				Agencies: []directory.Agency{{ID: "ECOWAS-CLU", Name: "Child Labour Unit"}}},
		},
	}
	return directorytest.Write(t, d, t.TempDir())
}

// startIdP serves CI's development identity provider and returns its
// issuer URL; site, when set, is a casework whose pages may log in.
func startIdP(t *testing.T, site ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	idp, err := oidcdev.New(oidcdev.Config{
		Issuer: issuer, Audience: "corridor-ci", Country: "CI", Users: oidcdev.DemoUsers("CI"),
		Clients: []oidcdev.Client{{ID: "corridor-web", Public: true, RedirectURIs: append([]string{redirectURI}, callbacks(site)...)}},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(idp.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return issuer
}

func callbacks(sites []string) []string {
	var out []string
	for _, s := range sites {
		out = append(out, s+weblogin.CallbackPath)
	}
	return out
}

func TestServeFilesAReferralAndShutsDown(t *testing.T) {
	t.Parallel()
	issuer := startIdP(t)
	published := writeDirectory(t, issuer, time.Now().Add(24*time.Hour))
	cfg := app.Config{
		DatabaseURL:     pg.NewDatabase(t, empty),
		Member:          "CI",
		DirectoryPath:   published.Directory,
		DirectoryAnchor: published.Anchor,
		OIDCIssuer:      issuer,
		OIDCAudience:    "corridor-ci",
		Login:           weblogin.Settings{PublicURL: "http://127.0.0.1:8080"},
		PollInterval:    50 * time.Millisecond,
		AuditKey:        auditKey(t),
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// A second instance on the same database finds the schema migrated.
	b, err := app.New(ctx, cfg, logger)
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	b.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ready); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || ready.Checks["database"] != "ok" || ready.Checks["identity_provider"] != "ok" {
		t.Errorf("readyz: %d %+v", resp.StatusCode, ready)
	}

	tok, err := oidcdev.PasswordLogin(ctx, nil, issuer, "corridor-web", redirectURI, "ci-inspector", oidcdev.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "examples", "referral.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/referrals", strings.NewReader(string(example)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}

	// The filing is in the audit trail, which a checkpoint signed with the
	// audit key covers to its end once casework has stopped.
	k, err := keyfile.LoadAudit(cfg.AuditKey)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	rep, err := audit.Verify(context.Background(), conn, &audit.PublicKey{ID: k.ID, Key: k.Public().PublicKey})
	if err != nil || rep.Problem != nil || rep.Entries < 2 || rep.Checkpoints == 0 {
		t.Fatalf("audit trail: %+v, %v", rep, err)
	}
	cps, err := audit.Checkpoints(context.Background(), conn)
	if err != nil || cps[len(cps)-1].Seq != rep.Head {
		t.Errorf("last checkpoint %+v, head %d, %v", cps, rep.Head, err)
	}
}

// auditKey writes a new audit key file and returns its path.
func auditKey(t *testing.T) string {
	t.Helper()
	k, err := keyfile.GenerateAudit("CI")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ci-audit.json")
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewRefusesBadStarts(t *testing.T) {
	t.Parallel()
	issuer := startIdP(t)
	good := writeDirectory(t, issuer, time.Now().Add(24*time.Hour))
	dsn := pg.NewDatabase(t, empty)
	tests := []struct {
		name   string
		change func(*app.Config)
		want   string
	}{
		{"no directory file", func(c *app.Config) { c.DirectoryPath = filepath.Join(t.TempDir(), "missing.json") }, "no such file"},
		{"expired directory", func(c *app.Config) {
			f := writeDirectory(t, issuer, time.Now().Add(-time.Minute))
			c.DirectoryPath, c.DirectoryAnchor = f.Directory, f.Anchor
		}, "expired"},
		{"directory signed by others", func(c *app.Config) {
			c.DirectoryAnchor = writeDirectory(t, issuer, time.Now().Add(time.Hour)).Anchor
		}, "bad directory signature"},
		{"no anchor", func(c *app.Config) { c.DirectoryAnchor = filepath.Join(t.TempDir(), "missing.json") }, "anchor"},
		{"member not in the directory", func(c *app.Config) { c.Member = "ML" }, "not in the corridor directory"},
		{"unparsable database URL", func(c *app.Config) { c.DatabaseURL = "postgres://%zz" }, "database"},
		{"bad issuer", func(c *app.Config) { c.OIDCIssuer = "not a url" }, "issuer"},
		{"bad public URL", func(c *app.Config) { c.Login.PublicURL = "casework" }, "public URL"},
		{"audit key others may read", func(c *app.Config) {
			c.AuditKey = auditKey(t)
			if err := os.Chmod(c.AuditKey, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "audit key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := app.Config{DatabaseURL: dsn, Member: "CI", DirectoryPath: good.Directory, DirectoryAnchor: good.Anchor, OIDCIssuer: issuer, OIDCAudience: "corridor-ci", Login: weblogin.Settings{PublicURL: "http://127.0.0.1:8080"}}
			tc.change(&cfg)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				a.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestPeopleSignIn: the pages take a person through the provider's login
// and back, while the API keeps answering bearer-token clients only.
func TestPeopleSignIn(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	issuer := startIdP(t, base)
	published := writeDirectory(t, issuer, time.Now().Add(24*time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := pg.NewDatabase(t, empty)
	a, err := app.New(ctx, app.Config{
		DatabaseURL: dsn, Member: "CI",
		DirectoryPath: published.Directory, DirectoryAnchor: published.Anchor,
		OIDCIssuer: issuer, OIDCAudience: "corridor-ci", Login: weblogin.Settings{PublicURL: base},
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	// A path nobody serves is the 404 page for people, a problem document
	// under the API.
	for _, c := range []struct{ path, contentType string }{
		{"/no-such-page", "text/html"},
		{"/api/v1/no-such-call", "application/problem+json"},
	} {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(ct, c.contentType) {
			t.Errorf("GET %s: %d %s, want 404 %s", c.path, resp.StatusCode, ct, c.contentType)
		}
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := browser.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := regexp.MustCompile(`name="authRequestID" value="([^"]+)"`).FindSubmatch(page)
	if !strings.HasPrefix(resp.Request.URL.String(), issuer+"/login") || id == nil {
		t.Fatalf("GET / ended at %s, want the provider's login page", resp.Request.URL)
	}
	resp, err = browser.PostForm(issuer+"/login", url.Values{
		"authRequestID": {string(id[1])}, "username": {"ci-caseworker"}, "password": {oidcdev.DemoPassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.String() != base+"/" || !strings.Contains(string(page), "Signed in as ci-caseworker") {
		t.Fatalf("after login: %d at %s:\n%s", resp.StatusCode, resp.Request.URL, page)
	}

	// The filing pages are served behind the same login, their service
	// worker to anyone.
	for path, want := range map[string]string{"/filing/new": `id="referral-form"`, "/filing/sw.js": "corridor-filing-"} {
		resp, err = browser.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), want) {
			t.Errorf("GET %s: %d, lacks %q", path, resp.StatusCode, want)
		}
	}

	// The session cookie is no credential for the API.
	resp, err = browser.Get(base + "/api/v1/referrals")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("API with a session cookie only: %d, want 401", resp.StatusCode)
	}

	// The page refused before the login, the login, the page after it and
	// the refused API call are in the audit trail.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var got []string
	err = audit.Entries(context.Background(), conn, audit.Range{}, func(e audit.Entry) error {
		got = append(got, e.Action+" "+string(e.Outcome)+" "+strings.TrimSuffix(e.Actor, "@"+issuer))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var person string
	for _, g := range got {
		if p, ok := strings.CutPrefix(g, "session.login allowed "); ok {
			person = p
		}
	}
	want := []string{"GET /{$} denied ", "session.login allowed " + person, "GET /{$} allowed " + person, "GET /api/v1/referrals denied "}
	if person == "" || !inOrder(got, want) {
		t.Errorf("audit trail = %q, want in this order %q", got, want)
	}
}

// inOrder reports whether want occurs in got in its order, other entries
// aside.
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}
