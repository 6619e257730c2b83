package weblogin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/envconf"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/oidcdev/oidcdevtest"
	"github.com/corridor-org/corridor/pkg/pgtest"
	"github.com/corridor-org/corridor/pkg/weblogin"
)

var pg pgtest.Server

func TestMain(m *testing.M) { pg.Main(m) }

var schema = pgtest.Template{Name: "weblogin", Migrate: weblogin.Migrate}

// clock is the manager's clock: real time plus what the test advanced, so
// that the provider's tokens stay valid while sessions age.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// site is a service with login: the routes, a page, and a state-changing
// action that counts the times it ran.
type site struct {
	URL     string
	IdP     *oidcdevtest.Server
	Pool    *pgxpool.Pool
	Clock   *clock
	changes atomic.Int64

	mu     sync.Mutex
	events []weblogin.Event
}

// kinds returns the kinds of the events so far.
func (s *site) kinds() []weblogin.EventKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []weblogin.EventKind
	for _, e := range s.events {
		out = append(out, e.Kind)
	}
	return out
}

type siteOptions struct {
	idle, absolute time.Duration
	secure         weblogin.CookieSecurity
	// more are providers offered besides the site's own, "CI".
	more      []weblogin.Provider
	errorPage func(http.ResponseWriter, *http.Request, weblogin.Failure)
}

func startSite(t *testing.T, opts siteOptions) *site {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	s := &site{URL: "http://" + srv.Listener.Addr().String(), Clock: &clock{}}
	s.IdP = oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-ci",
		Country:  "CI",
		Users:    oidcdev.DemoUsers("CI"),
		Clients: []oidcdev.Client{{
			ID: weblogin.DefaultClientID, Public: true,
			RedirectURIs:           []string{s.URL + weblogin.CallbackPath},
			PostLogoutRedirectURIs: []string{s.URL + weblogin.LoggedOutPath},
		}},
	})
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	verifier, err := auth.NewVerifier(auth.Config{Issuers: []auth.Issuer{{URL: s.IdP.URL, Audience: "corridor-ci", Member: "CI"}}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	s.Pool = pg.NewPool(t, schema)
	m, err := weblogin.New(weblogin.Config{
		PublicURL:       s.URL,
		Providers:       append([]weblogin.Provider{{ID: "CI", Name: "Côte d'Ivoire", Issuer: s.IdP.URL}}, opts.more...),
		CookieSecure:    opts.secure,
		IdleTimeout:     opts.idle,
		AbsoluteTimeout: opts.absolute,
		Now:             s.Clock.Now,
		ErrorPage:       opts.errorPage,
		OnEvent: func(_ context.Context, e weblogin.Event) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.events = append(s.events, e)
		},
	}, s.Pool, verifier, logger)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	m.Routes(mux)
	mux.Handle("GET /{$}", m.Require(m.SignedInPage()))
	mux.Handle("GET /whoami", m.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		fmt.Fprintf(w, "%s %s", p.Username, weblogin.CSRFToken(r.Context()))
	})))
	mux.Handle("POST /things", m.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.changes.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})))
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

// browser is an http.Client with a cookie jar that follows redirects, as a
// browser does.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// noFollow is c stopping at the first redirect.
func noFollow(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// stopAt is c stopping at a redirect to the site's callback, so a test can
// tamper with it.
func stopAt(c *http.Client, path string) *http.Client {
	cc := *c
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == path {
			return http.ErrUseLastResponse
		}
		return nil
	}
	return &cc
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	requestID  = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
)

type response struct {
	Status int
	URL    *url.URL
	Header http.Header
	Body   string
}

func do(t *testing.T, c *http.Client, req *http.Request) response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, URL: resp.Request.URL, Header: resp.Header, Body: string(b)}
}

func get(t *testing.T, c *http.Client, target string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

func postForm(t *testing.T, c *http.Client, target string, form url.Values, header http.Header) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	return do(t, c, req)
}

// openLogin starts a login at the site and returns the provider's login
// page.
func openLogin(t *testing.T, c *http.Client, s *site, ret string) response {
	t.Helper()
	target := s.URL + weblogin.LoginPath
	if ret != "" {
		target += "?return=" + url.QueryEscape(ret)
	}
	page := get(t, c, target)
	if page.Status != http.StatusOK || !strings.HasPrefix(page.URL.String(), s.IdP.URL) {
		t.Fatalf("GET /login ended at %s with %d, want the provider's login page", page.URL, page.Status)
	}
	return page
}

// fillLogin submits the provider's login form as a person would.
func fillLogin(t *testing.T, c *http.Client, page response, username string) response {
	t.Helper()
	action, id := formAction.FindStringSubmatch(page.Body), requestID.FindStringSubmatch(page.Body)
	if action == nil || id == nil {
		t.Fatalf("no login form on %s:\n%s", page.URL, page.Body)
	}
	return postForm(t, c, html.UnescapeString(action[1]), url.Values{
		"authRequestID": {html.UnescapeString(id[1])},
		"username":      {username},
		"password":      {oidcdev.DemoPassword},
	}, nil)
}

// login logs username in and returns the page the site lands on.
func login(t *testing.T, c *http.Client, s *site, username, ret string) response {
	t.Helper()
	return fillLogin(t, c, openLogin(t, c, s, ret), username)
}

func sessionCookie(t *testing.T, c *http.Client, s *site) string {
	t.Helper()
	u, _ := url.Parse(s.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "corridor_session" {
			return ck.Value
		}
	}
	return ""
}

// whoami returns who the site says is signed in, and the CSRF token; ""
// when it redirects to the login.
func whoami(t *testing.T, c *http.Client, s *site) (user, csrf string) {
	t.Helper()
	r := get(t, noFollow(c), s.URL+"/whoami")
	switch r.Status {
	case http.StatusOK:
		user, csrf, _ = strings.Cut(r.Body, " ")
		return user, csrf
	case http.StatusSeeOther:
		if loc := r.Header.Get("Location"); loc != "/login?return=%2Fwhoami" {
			t.Fatalf("unauthenticated redirect to %q", loc)
		}
		return "", ""
	default:
		t.Fatalf("GET /whoami: %d %s", r.Status, r.Body)
		return "", ""
	}
}

func countRows(t *testing.T, s *site, table string) int {
	t.Helper()
	var n int
	if err := s.Pool.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func withCookie(t *testing.T, s *site, value string) *http.Client {
	t.Helper()
	c := browser(t)
	u, _ := url.Parse(s.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "corridor_session", Value: value, Path: "/"}})
	return c
}

func TestLoginSessionLogout(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{})
	c := browser(t)

	home := login(t, c, s, "ci-inspector", "")
	if home.Status != http.StatusOK || home.URL.String() != s.URL+"/" || !strings.Contains(home.Body, "Signed in as ci-inspector (CI)") {
		t.Fatalf("after login: %d at %s:\n%s", home.Status, home.URL, home.Body)
	}
	user, csrf := whoami(t, c, s)
	if user != "ci-inspector" || csrf == "" {
		t.Fatalf("whoami = %q, %q", user, csrf)
	}
	if cc := get(t, c, s.URL+"/whoami").Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("signed-in page Cache-Control = %q, want no-store", cc)
	}
	var stored []byte
	if err := s.Pool.QueryRow(t.Context(), "SELECT id_hash FROM weblogin_sessions").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	cookie := sessionCookie(t, c, s)
	if strings.Contains(string(stored), cookie) || len(stored) != 32 {
		t.Errorf("the session id is stored as %x, want only its SHA-256", stored)
	}
	if n := countRows(t, s, "weblogin_attempts"); n != 0 {
		t.Errorf("login attempts left after the callback: %d", n)
	}

	r := postForm(t, c, s.URL+"/things", url.Values{"csrf_token": {csrf}}, http.Header{"Origin": {s.URL}})
	if r.Status != http.StatusNoContent || s.changes.Load() != 1 {
		t.Fatalf("POST /things with the CSRF token: %d, changes %d", r.Status, s.changes.Load())
	}

	// Logout goes through the provider's end-session endpoint and back.
	out := postForm(t, c, s.URL+weblogin.LogoutPath, url.Values{"csrf_token": {csrf}}, http.Header{"Origin": {s.URL}})
	out = get(t, c, refreshURL(t, out))
	if out.Status != http.StatusOK || out.URL.String() != s.URL+weblogin.LoggedOutPath {
		t.Fatalf("after logout: %d at %s:\n%s", out.Status, out.URL, out.Body)
	}
	if n := countRows(t, s, "weblogin_sessions"); n != 0 {
		t.Errorf("sessions after logout: %d", n)
	}
	if user, _ := whoami(t, c, s); user != "" {
		t.Errorf("signed in as %q after logout", user)
	}
	// The cookie of the ended session, replayed, opens nothing.
	if user, _ := whoami(t, withCookie(t, s, cookie), s); user != "" {
		t.Errorf("replayed cookie after logout signs in as %q", user)
	}
	if got, want := s.kinds(), []weblogin.EventKind{weblogin.EventLogin, weblogin.EventLogout}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if e := s.events[0]; e.Principal.Subject != "ci-inspector" || e.Provider != "CI" {
		t.Errorf("login event = %+v", e)
	}
}

func TestLogoutGoesThroughProvider(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{})
	c := browser(t)
	login(t, c, s, "ci-inspector", "")
	_, csrf := whoami(t, c, s)
	r := postForm(t, noFollow(c), s.URL+weblogin.LogoutPath, url.Values{"csrf_token": {csrf}}, nil)
	loc, err := url.Parse(refreshURL(t, r))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if !strings.HasPrefix(loc.String(), s.IdP.URL) || q.Get("id_token_hint") == "" ||
		q.Get("post_logout_redirect_uri") != s.URL+weblogin.LoggedOutPath {
		t.Errorf("logout redirects to %s, want the provider's end session with id_token_hint and post_logout_redirect_uri", loc)
	}
}

var metaRefresh = regexp.MustCompile(`<meta http-equiv="refresh" content="0; url=([^"]+)">`)

// refreshURL is where the sign-out page sends the browser on: a page, not
// a redirect, since the form's page allows posting to its own origin only.
func refreshURL(t *testing.T, r response) string {
	t.Helper()
	m := metaRefresh.FindStringSubmatch(r.Body)
	if r.Status != http.StatusOK || m == nil {
		t.Fatalf("POST /logout: %d, want a page moving on to the provider:\n%s", r.Status, r.Body)
	}
	return html.UnescapeString(m[1])
}

func TestCallbackRefusesForeignState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// tamper changes the callback URL the provider sent the browser to,
		// and may change the browser.
		tamper func(t *testing.T, s *site, callback *url.URL, c *http.Client) *http.Client
	}{
		{"state changed", func(t *testing.T, _ *site, u *url.URL, c *http.Client) *http.Client {
			q := u.Query()
			q.Set("state", "attacker-state")
			u.RawQuery = q.Encode()
			return c
		}},
		{"state missing", func(t *testing.T, _ *site, u *url.URL, c *http.Client) *http.Client {
			q := u.Query()
			q.Del("state")
			u.RawQuery = q.Encode()
			return c
		}},
		{"another browser (login CSRF)", func(t *testing.T, _ *site, _ *url.URL, _ *http.Client) *http.Client {
			return browser(t)
		}},
		{"nonce mismatch", func(t *testing.T, s *site, _ *url.URL, c *http.Client) *http.Client {
			if _, err := s.Pool.Exec(t.Context(), "UPDATE weblogin_attempts SET nonce = 'another-nonce'"); err != nil {
				t.Fatal(err)
			}
			return c
		}},
		{"code replaced", func(t *testing.T, _ *site, u *url.URL, c *http.Client) *http.Client {
			q := u.Query()
			q.Set("code", "made-up")
			u.RawQuery = q.Encode()
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startSite(t, siteOptions{})
			c := browser(t)
			page := openLogin(t, c, s, "")
			r := fillLogin(t, stopAt(c, weblogin.CallbackPath), page, "ci-inspector")
			callback, err := url.Parse(r.Header.Get("Location"))
			if err != nil || callback.Path != weblogin.CallbackPath {
				t.Fatalf("provider redirected to %q, want the callback", r.Header.Get("Location"))
			}
			c = tt.tamper(t, s, callback, c)
			got := get(t, noFollow(c), callback.String())
			if got.Status != http.StatusBadRequest && got.Status != http.StatusUnauthorized {
				t.Errorf("callback: %d, want 400 or 401:\n%s", got.Status, got.Body)
			}
			if n := countRows(t, s, "weblogin_sessions"); n != 0 {
				t.Errorf("sessions after a refused callback: %d", n)
			}
			if user, _ := whoami(t, c, s); user != "" {
				t.Errorf("signed in as %q after a refused callback", user)
			}
			if got := s.kinds(); !slices.Equal(got, []weblogin.EventKind{weblogin.EventLoginRefused}) {
				t.Errorf("events = %v, want one refused login", got)
			}
		})
	}
}

func TestCallbackIsSingleUse(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{})
	c := browser(t)
	r := fillLogin(t, stopAt(c, weblogin.CallbackPath), openLogin(t, c, s, ""), "ci-inspector")
	callback := r.Header.Get("Location")
	if got := get(t, noFollow(c), callback); got.Status != http.StatusSeeOther {
		t.Fatalf("first callback: %d", got.Status)
	}
	// Put the login cookie back, as an attacker replaying the whole
	// response would: the attempt is gone all the same.
	u, _ := url.Parse(s.URL)
	cb, _ := url.Parse(callback)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "corridor_login", Value: cb.Query().Get("state"), Path: "/"}})
	if got := get(t, noFollow(c), callback); got.Status != http.StatusBadRequest {
		t.Errorf("replayed callback: %d, want 400", got.Status)
	}
	if n := countRows(t, s, "weblogin_sessions"); n != 1 {
		t.Errorf("sessions = %d, want 1", n)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{})
	c := browser(t)
	login(t, c, s, "ci-inspector", "")
	_, csrf := whoami(t, c, s)

	tests := []struct {
		name     string
		form     url.Values
		header   http.Header
		want     int
		wantJSON bool
	}{
		{name: "no token", header: http.Header{"Origin": {s.URL}}, want: http.StatusForbidden},
		{name: "wrong token", form: url.Values{"csrf_token": {csrf + "x"}}, want: http.StatusForbidden},
		{name: "token in the query only", header: http.Header{"Origin": {s.URL}}, want: http.StatusForbidden},
		{name: "another origin", form: url.Values{"csrf_token": {csrf}}, header: http.Header{"Origin": {"http://evil.example"}}, want: http.StatusForbidden},
		{name: "null origin", form: url.Values{"csrf_token": {csrf}}, header: http.Header{"Origin": {"null"}}, want: http.StatusForbidden},
		{name: "cross-site fetch", form: url.Values{"csrf_token": {csrf}}, header: http.Header{"Sec-Fetch-Site": {"cross-site"}}, want: http.StatusForbidden},
		{name: "JSON client without token", header: http.Header{"Accept": {"application/json"}}, want: http.StatusForbidden, wantJSON: true},
		{name: "form token", form: url.Values{"csrf_token": {csrf}}, header: http.Header{"Origin": {s.URL}, "Sec-Fetch-Site": {"same-origin"}}, want: http.StatusNoContent},
		{name: "header token", header: http.Header{"X-Csrf-Token": {csrf}, "Origin": {s.URL}}, want: http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, eventsBefore := s.changes.Load(), len(s.kinds())
			target := s.URL + "/things"
			if tt.name == "token in the query only" {
				target += "?csrf_token=" + url.QueryEscape(csrf)
			}
			r := postForm(t, c, target, tt.form, tt.header)
			if r.Status != tt.want {
				t.Fatalf("POST: %d, want %d:\n%s", r.Status, tt.want, r.Body)
			}
			changed := s.changes.Load() != before
			if changed != (tt.want == http.StatusNoContent) {
				t.Errorf("the action ran: %v", changed)
			}
			kinds := s.kinds()[eventsBefore:]
			if refused := slices.Equal(kinds, []weblogin.EventKind{weblogin.EventCSRFRefused}); refused != (tt.want == http.StatusForbidden) || len(kinds) > 1 {
				t.Errorf("events = %v, want a refusal recorded: %v", kinds, tt.want == http.StatusForbidden)
			}
			if tt.wantJSON && r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type = %q, want problem+json", r.Header.Get("Content-Type"))
			}
		})
	}
	// Logout needs the token too: without it the session lives on.
	r := postForm(t, c, s.URL+weblogin.LogoutPath, nil, http.Header{"Origin": {s.URL}})
	if r.Status != http.StatusForbidden {
		t.Errorf("logout without the token: %d, want 403", r.Status)
	}
	if user, _ := whoami(t, c, s); user != "ci-inspector" {
		t.Errorf("after a refused logout, signed in as %q", user)
	}
}

func TestSessionFixation(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{})

	// An id the server never issued is not a session.
	const planted = "attacker-chosen-session-id-0123456789abcdef"
	c := withCookie(t, s, planted)
	if user, _ := whoami(t, c, s); user != "" {
		t.Fatalf("planted cookie signs in as %q", user)
	}
	login(t, c, s, "ci-inspector", "")
	if got := sessionCookie(t, c, s); got == planted || got == "" {
		t.Errorf("session cookie after login = %q, want a new id", got)
	}
	if user, _ := whoami(t, withCookie(t, s, planted), s); user != "" {
		t.Errorf("the planted id signs in as %q after the victim's login", user)
	}

	// An attacker's own live session planted in a victim's browser ends at
	// the victim's login, which gets a new id.
	attacker := browser(t)
	login(t, attacker, s, "ci-inspector", "")
	own := sessionCookie(t, attacker, s)
	victim := withCookie(t, s, own)
	login(t, victim, s, "ci-inspector", "")
	if got := sessionCookie(t, victim, s); got == own {
		t.Error("login kept the planted session id")
	}
	if user, _ := whoami(t, withCookie(t, s, own), s); user != "" {
		t.Errorf("the planted session still signs in as %q", user)
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	const idle, absolute = 30 * time.Minute, 2 * time.Hour
	tests := []struct {
		name  string
		steps []time.Duration // advance, then request
		// signedIn is whether each step's request is still signed in.
		signedIn []bool
	}{
		{"idle", []time.Duration{29 * time.Minute, 30 * time.Minute}, []bool{true, false}},
		{"sliding", []time.Duration{20 * time.Minute, 20 * time.Minute, 20 * time.Minute}, []bool{true, true, true}},
		{"absolute", []time.Duration{25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute}, []bool{true, true, true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startSite(t, siteOptions{idle: idle, absolute: absolute})
			c := browser(t)
			login(t, c, s, "ci-inspector", "")
			for i, d := range tt.steps {
				s.Clock.Advance(d)
				user, _ := whoami(t, c, s)
				if got := user != ""; got != tt.signedIn[i] {
					t.Fatalf("step %d (+%s): signed in %v, want %v", i, d, got, tt.signedIn[i])
				}
			}
			if !tt.signedIn[len(tt.signedIn)-1] {
				if n := countRows(t, s, "weblogin_sessions"); n != 0 {
					t.Errorf("expired sessions left: %d", n)
				}
			}
		})
	}
}

func TestReturnPath(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{})
	tests := []struct{ ret, want string }{
		{"/whoami?x=1", "/whoami?x=1"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"http:/evil.example", "/"},
		{"/logout", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.ret, func(t *testing.T) {
			t.Parallel()
			c := browser(t)
			r := fillLogin(t, stopAt(c, "/never"), openLogin(t, c, s, tt.ret), "ci-inspector")
			got := r.URL
			// The last request is the page the login landed on.
			if got.Host != strings.TrimPrefix(s.URL, "http://") || got.RequestURI() != tt.want {
				t.Errorf("login with return %q landed on %s, want %s", tt.ret, got, tt.want)
			}
		})
	}
}

func TestUnauthenticated(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{})
	c := noFollow(browser(t))
	tests := []struct {
		name, method, accept string
		want                 int
		wantType             string
	}{
		{"page", http.MethodGet, "text/html", http.StatusSeeOther, ""},
		{"fetch", http.MethodGet, "application/json", http.StatusUnauthorized, "application/problem+json"},
		{"form post", http.MethodPost, "text/html", http.StatusUnauthorized, "text/html; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/whoami"
			if tt.method == http.MethodPost {
				path = "/things"
			}
			req, _ := http.NewRequestWithContext(t.Context(), tt.method, s.URL+path, nil)
			req.Header.Set("Accept", tt.accept)
			r := do(t, c, req)
			if r.Status != tt.want || (tt.wantType != "" && r.Header.Get("Content-Type") != tt.wantType) {
				t.Errorf("%d %s, want %d %s", r.Status, r.Header.Get("Content-Type"), tt.want, tt.wantType)
			}
			if tt.wantType == "application/problem+json" {
				var p struct{ Status int }
				if err := json.Unmarshal([]byte(r.Body), &p); err != nil || p.Status != tt.want {
					t.Errorf("problem %q: %v", r.Body, err)
				}
			}
		})
	}
	if s.changes.Load() != 0 {
		t.Error("an unauthenticated POST ran the action")
	}
}

func TestSecureCookies(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{secure: weblogin.CookieSecureAlways})
	r := get(t, noFollow(browser(t)), s.URL+weblogin.LoginPath)
	cookies := (&http.Response{Header: r.Header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("cookies = %v", cookies)
	}
	ck := cookies[0]
	if ck.Name != "__Host-corridor_login" || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
		t.Errorf("login cookie = %+v, want __Host-, Secure, HttpOnly, SameSite=Lax, Path=/", ck)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	ok := weblogin.Config{PublicURL: "https://casework.example", Providers: []weblogin.Provider{{ID: "CI", Issuer: "https://idp.example"}}}
	tests := []struct {
		name   string
		change func(*weblogin.Config)
		want   string
	}{
		{"ok", func(*weblogin.Config) {}, ""},
		{"no public URL", func(c *weblogin.Config) { c.PublicURL = "" }, "public URL"},
		{"public URL with a path", func(c *weblogin.Config) { c.PublicURL = "https://x.example/app" }, "public URL"},
		{"no provider", func(c *weblogin.Config) { c.Providers = nil }, "no identity provider"},
		{"bad issuer", func(c *weblogin.Config) { c.Providers[0].Issuer = "idp" }, "issuer"},
		{"duplicate provider", func(c *weblogin.Config) { c.Providers = append(c.Providers, c.Providers[0]) }, "duplicate"},
		{"bad cookie security", func(c *weblogin.Config) { c.CookieSecure = "maybe" }, "cookie security"},
		{"absolute shorter than idle", func(c *weblogin.Config) { c.IdleTimeout, c.AbsoluteTimeout = time.Hour, time.Minute }, "absolute timeout"},
	}
	logger := slog.New(slog.DiscardHandler)
	verifier, err := auth.NewVerifier(auth.Config{Issuers: []auth.Issuer{{URL: "https://idp.example", Audience: "corridor-ci"}}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			cfg.Providers = append([]weblogin.Provider(nil), ok.Providers...)
			tt.change(&cfg)
			_, err := weblogin.New(cfg, &pgxpool.Pool{}, verifier, logger)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New: %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestChooseProvider(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // a provider that does not answer
	s := startSite(t, siteOptions{more: []weblogin.Provider{{ID: "BF", Name: "Burkina Faso", Issuer: down.URL}}})
	c := noFollow(browser(t))

	r := get(t, c, s.URL+"/login?return=%2Fwhoami")
	for _, want := range []string{
		`<a href="/login?provider=CI&amp;return=%2Fwhoami">Côte d&#39;Ivoire</a>`,
		`<a href="/login?provider=BF&amp;return=%2Fwhoami">Burkina Faso</a>`,
	} {
		if r.Status != http.StatusOK || !strings.Contains(r.Body, want) {
			t.Errorf("choice page: %d, lacks %s:\n%s", r.Status, want, r.Body)
		}
	}
	tests := []struct {
		provider string
		want     int
	}{
		{"CI", http.StatusSeeOther},
		{"BF", http.StatusServiceUnavailable},
		{"ML", http.StatusBadRequest},
	}
	for _, tt := range tests {
		r := get(t, c, s.URL+"/login?provider="+tt.provider)
		if r.Status != tt.want {
			t.Errorf("provider %s: %d, want %d", tt.provider, r.Status, tt.want)
		}
	}
	if n := countRows(t, s, "weblogin_attempts"); n != 1 {
		t.Errorf("login attempts = %d, want 1 (CI's)", n)
	}
}

func TestErrorPage(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{errorPage: func(w http.ResponseWriter, _ *http.Request, f weblogin.Failure) {
		w.WriteHeader(f.Status())
		fmt.Fprintf(w, "the UI's page: %s", f)
	}})
	c := noFollow(browser(t))
	tests := []struct {
		name, path, accept string
		want               int
		wantBody           string
	}{
		{"page", "/things", "text/html", http.StatusUnauthorized, "the UI's page: signed_out"},
		{"JSON client", "/things", "application/json", http.StatusUnauthorized, `"status":401`},
		{"login", "/login?provider=ML", "text/html", http.StatusBadRequest, "the UI's page: unknown_provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodPost
			if strings.HasPrefix(tt.path, "/login") {
				method = http.MethodGet
			}
			req, _ := http.NewRequestWithContext(t.Context(), method, s.URL+tt.path, nil)
			req.Header.Set("Accept", tt.accept)
			r := do(t, c, req)
			if r.Status != tt.want || !strings.Contains(r.Body, tt.wantBody) {
				t.Errorf("%d %q, want %d %q", r.Status, r.Body, tt.want, tt.wantBody)
			}
		})
	}
}

// TestLastUseWrittenAtMostOncePerMinute: sliding the idle timeout costs at
// most one write a minute per session.
func TestLastUseWrittenAtMostOncePerMinute(t *testing.T) {
	t.Parallel()
	s := startSite(t, siteOptions{})
	c := browser(t)
	login(t, c, s, "ci-inspector", "")
	lastSeen := func() time.Time {
		var at time.Time
		if err := s.Pool.QueryRow(t.Context(), "SELECT last_seen_at FROM weblogin_sessions").Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at
	}
	first := lastSeen()
	s.Clock.Advance(30 * time.Second)
	whoami(t, c, s)
	if got := lastSeen(); !got.Equal(first) {
		t.Errorf("last use written %s after the previous write", got.Sub(first))
	}
	s.Clock.Advance(31 * time.Second)
	whoami(t, c, s)
	if got := lastSeen(); got.Sub(first) < time.Minute {
		t.Errorf("last use moved by %s after 61 s, want it written", got.Sub(first))
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	env := envconf.New(func(k string) string {
		return map[string]string{"X_PUBLIC_URL": "https://x.example", "OIDC_CLIENT_ID": "x-web", "SESSION_IDLE_TIMEOUT": "10m"}[k]
	})
	s := weblogin.ReadSettings(env, "X_PUBLIC_URL", ":8080")
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	cfg := s.Config(weblogin.Provider{ID: "CI", Issuer: "https://ci.example"}, weblogin.Provider{ID: "BF", Issuer: "https://bf.example", ClientID: "own"})
	if cfg.PublicURL != "https://x.example" || cfg.IdleTimeout != 10*time.Minute || cfg.AbsoluteTimeout != weblogin.DefaultAbsoluteTimeout ||
		cfg.CookieSecure != weblogin.CookieSecureAuto || cfg.Providers[0].ClientID != "x-web" || cfg.Providers[1].ClientID != "own" {
		t.Errorf("Config = %+v", cfg)
	}
}
