package weblogin

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/oauth2"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/httpapi"
)

// CSRF token carriers: a hidden form field, or a header for fetch.
const (
	CSRFField  = "csrf_token"
	CSRFHeader = "X-CSRF-Token"
)

// maxMultipartMemory bounds what reading a multipart form's CSRF field
// holds in memory; the rest of a form spills to disk, up to
// maxMultipartBytes. (URL-encoded forms: net/http's own 10 MB limit.)
const (
	maxMultipartMemory = 1 << 20
	maxMultipartBytes  = 16 << 20
)

// Manager serves the login routes and guards pages with sessions.
type Manager struct {
	cfg       Config
	origin    string
	secure    bool
	store     store
	verifier  *auth.Verifier
	logger    *slog.Logger
	providers map[string]*provider
	order     []*provider
	handler   http.Handler
}

// New returns a Manager. It contacts no provider: each is discovered at its
// first login, so a service starts while its provider is down. The verifier
// is the service's own, which maps access tokens to Principals for the API.
func New(cfg Config, pool *pgxpool.Pool, verifier *auth.Verifier, logger *slog.Logger) (*Manager, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new login manager: %w", err)
	}
	if pool == nil || verifier == nil || logger == nil {
		return nil, errors.New("new login manager: pool, verifier and logger are required")
	}
	m := &Manager{
		cfg:       cfg,
		origin:    cfg.PublicURL,
		secure:    cfg.secure(),
		store:     store{pool: pool},
		verifier:  verifier,
		logger:    logger.With("component", "weblogin"),
		providers: map[string]*provider{},
	}
	for _, p := range cfg.Providers {
		pr := &provider{Provider: p}
		m.providers[p.ID] = pr
		m.order = append(m.order, pr)
	}
	mux := http.NewServeMux()
	m.Routes(mux)
	m.handler = mux
	return m, nil
}

// Routes registers GET /login, GET /auth/callback, POST /logout and
// GET /logged-out on mux.
func (m *Manager) Routes(mux httpapi.Router) {
	mux.Handle("GET "+LoginPath, http.HandlerFunc(m.login))
	mux.Handle("GET "+CallbackPath, http.HandlerFunc(m.callback))
	mux.Handle("POST "+LogoutPath, http.HandlerFunc(m.logout))
	mux.Handle("GET "+LoggedOutPath, http.HandlerFunc(m.loggedOut))
}

// Handler serves the routes Routes registers, and nothing else.
func (m *Manager) Handler() http.Handler { return m.handler }

// provider is a configured Provider and, once discovered, its endpoints.
type provider struct {
	Provider
	mu         sync.Mutex
	oidc       *oidc.Provider
	endSession string
}

// discover reads the provider's discovery document once it answers.
func (m *Manager) discover(ctx context.Context, p *provider) (*oidc.Provider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oidc != nil {
		return p.oidc, nil
	}
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, m.cfg.HTTPClient), p.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover identity provider %s: %w", p.ID, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := op.Claims(&extra); err != nil {
		return nil, fmt.Errorf("discover identity provider %s: %w", p.ID, err)
	}
	p.oidc, p.endSession = op, extra.EndSession
	return op, nil
}

func (m *Manager) oauth2Config(p *provider, op *oidc.Provider) *oauth2.Config {
	ep := op.Endpoint()
	// A public client has no secret: its client id goes in the form.
	ep.AuthStyle = oauth2.AuthStyleInParams
	return &oauth2.Config{
		ClientID:    p.ClientID,
		Endpoint:    ep,
		RedirectURL: m.cfg.PublicURL + CallbackPath,
		Scopes:      []string{oidc.ScopeOpenID, "profile"},
	}
}

type csrfKey struct{}

// CSRFToken returns the CSRF token of the session Require found, for the
// hidden csrf_token field of every form; "" outside Require.
func CSRFToken(ctx context.Context) string {
	s, _ := ctx.Value(csrfKey{}).(string)
	return s
}

// Require passes requests of a live session to next, with its Principal in
// the context (auth.FromContext), its CSRF token (CSRFToken) and
// Cache-Control: no-store unless next sets another. Without a
// session, a page request (GET or HEAD) is sent to /login and back; others
// get 401. An unsafe request (not GET, HEAD, OPTIONS) must come from the
// service's own origin and carry the session's CSRF token, or it gets 403
// and next is not called.
func (m *Manager) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _, err := m.current(w, r)
		switch {
		case errors.Is(err, errNoSession):
			if safeMethod(r.Method) && !wantsJSON(r) {
				http.Redirect(w, r, LoginPath+"?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			m.fail(w, r, FailureSignedOut)
			return
		case err != nil:
			m.internal(w, r, err)
			return
		}
		if !safeMethod(r.Method) {
			if err := m.checkCSRF(w, r, sess.CSRFToken); err != nil {
				m.refuseCSRF(w, r, sess, err)
				return
			}
		}
		ctx := auth.NewContext(r.Context(), sess.Principal)
		ctx = context.WithValue(ctx, csrfKey{}, sess.CSRFToken)
		// What a signed-in person sees (a child's case) must not stay in a
		// shared computer's cache; a handler may still say otherwise.
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// current returns the session the request's cookie names, ending it when
// either timeout has passed and sliding the idle timeout otherwise. Its
// error is errNoSession when there is no live session.
func (m *Manager) current(w http.ResponseWriter, r *http.Request) (session, string, error) {
	c, err := r.Cookie(m.sessionCookie())
	if err != nil || c.Value == "" {
		return session{}, "", errNoSession
	}
	id := c.Value
	sess, err := m.store.session(r.Context(), id)
	if errors.Is(err, errNoSession) {
		m.clearCookie(w, m.sessionCookie())
		return session{}, "", errNoSession
	}
	if err != nil {
		return session{}, "", err
	}
	now := m.cfg.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= m.cfg.IdleTimeout {
		if err := m.store.deleteSession(r.Context(), id); err != nil {
			return session{}, "", err
		}
		m.clearCookie(w, m.sessionCookie())
		return session{}, "", errNoSession
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := m.store.touchSession(r.Context(), id, now); err != nil {
			return session{}, "", err
		}
	}
	return sess, id, nil
}

// refuseCSRF answers an unsafe request that failed checkCSRF with 403.
func (m *Manager) refuseCSRF(w http.ResponseWriter, r *http.Request, sess session, err error) {
	m.logger.LogAttrs(r.Context(), slog.LevelWarn, "request refused: "+err.Error(),
		slog.String("request_id", httpapi.RequestIDFromContext(r.Context())),
		slog.String("method", r.Method), slog.String("path", r.URL.Path))
	m.event(r.Context(), Event{Kind: EventCSRFRefused, Provider: sess.Provider, Principal: sess.Principal, Reason: err.Error()})
	m.fail(w, r, FailureCSRF)
}

func (m *Manager) event(ctx context.Context, e Event) {
	if m.cfg.OnEvent != nil {
		m.cfg.OnEvent(ctx, e)
	}
}

// checkCSRF refuses a request from another origin, or without the
// session's token.
func (m *Manager) checkCSRF(w http.ResponseWriter, r *http.Request, want string) error {
	if origin := r.Header.Get("Origin"); origin != "" {
		if origin != m.origin {
			return errors.New("request from another origin")
		}
	} else if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return errors.New("cross-site request")
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = formToken(w, r)
	}
	if got == "" {
		return errors.New("no CSRF token")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errors.New("wrong CSRF token")
	}
	return nil
}

// formToken reads the csrf_token field of a form body; the parsed form
// stays available to the handler.
func formToken(w http.ResponseWriter, r *http.Request) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return ""
		}
	case "multipart/form-data":
		r.Body = http.MaxBytesReader(w, r.Body, maxMultipartBytes)
		if err := r.ParseMultipartForm(maxMultipartMemory); err != nil {
			return ""
		}
	default:
		return ""
	}
	return r.PostForm.Get(CSRFField)
}

func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// wantsJSON reports whether the client reads JSON rather than pages.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return strings.Contains(accept, "application/json") || strings.Contains(accept, "application/problem+json") ||
		ct == "application/json"
}

func (m *Manager) sessionCookie() string {
	if m.secure {
		return "__Host-corridor_session"
	}
	return "corridor_session"
}

func (m *Manager) loginCookie() string {
	if m.secure {
		return "__Host-corridor_login"
	}
	return "corridor_login"
}

// setCookie sets a host-only cookie on the whole site. SameSite=Lax: the
// provider's redirect back to the callback is a top-level GET, which Lax
// cookies follow, while cross-site POSTs carry none.
func (m *Manager) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   m.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (m *Manager) clearCookie(w http.ResponseWriter, name string) {
	m.setCookie(w, name, "", -time.Second)
}
