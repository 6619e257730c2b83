package weblogin

import (
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
)

// maxReturnPath bounds the return path a login carries.
const maxReturnPath = 2048

// oauthErrorCode is the shape of an OAuth error code (RFC 6749, 4.1.2.1).
var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// login starts a login: GET /login?provider=ID&return=/path. With several
// providers and none named, it shows the choice.
func (m *Manager) login(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ret := returnPath(q.Get("return"))
	id := q.Get("provider")
	if id == "" && len(m.order) == 1 {
		id = m.order[0].ID
	}
	if id == "" {
		m.renderChoice(w, r, ret)
		return
	}
	p, ok := m.providers[id]
	if !ok {
		m.fail(w, r, FailureUnknownProvider)
		return
	}
	op, err := m.discover(r.Context(), p)
	if err != nil {
		m.unavailable(w, r, err)
		return
	}
	state, nonce, verifier := newSecret(), newSecret(), oauth2.GenerateVerifier()
	if err := m.store.saveAttempt(r.Context(), state, attempt{
		Provider: p.ID, Nonce: nonce, CodeVerifier: verifier, ReturnPath: ret,
	}, m.cfg.Now()); err != nil {
		m.internal(w, r, err)
		return
	}
	// The cookie binds the attempt to this browser: a callback URL with a
	// state planted by someone else finds no matching cookie (login CSRF).
	m.setCookie(w, m.loginCookie(), state, attemptLifetime)
	target := m.oauth2Config(p, op).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// returnPath accepts a path on this site only; anything else (another
// host, a scheme, a protocol-relative or backslashed URL, the login routes
// themselves) becomes "/", so that /login cannot be used to send people
// elsewhere.
func returnPath(raw string) string {
	if raw == "" || len(raw) > maxReturnPath || !strings.HasPrefix(raw, "/") ||
		strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\x00\r\n\t") {
		return "/"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	switch u.Path {
	case LoginPath, CallbackPath, LogoutPath, LoggedOutPath:
		return "/"
	}
	return u.RequestURI()
}

// callback finishes a login: GET /auth/callback?state=…&code=….
func (m *Manager) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	c, err := r.Cookie(m.loginCookie())
	m.clearCookie(w, m.loginCookie())
	if err != nil || state == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		m.logger.LogAttrs(ctx, slog.LevelWarn, "login refused: state does not match this browser's attempt")
		m.event(ctx, Event{Kind: EventLoginRefused, Reason: "state does not match this browser's login"})
		m.fail(w, r, FailureLoginMismatch)
		return
	}
	a, err := m.store.takeAttempt(ctx, state, m.cfg.Now())
	if errors.Is(err, errNoAttempt) {
		m.event(ctx, Event{Kind: EventLoginRefused, Reason: "login attempt unknown, used or expired"})
		m.fail(w, r, FailureLoginExpired)
		return
	}
	if err != nil {
		m.internal(w, r, err)
		return
	}
	if e := q.Get("error"); e != "" {
		// The code comes through the browser: only a well-formed one is
		// repeated.
		if !oauthErrorCode.MatchString(e) {
			e = "(malformed error code)"
		}
		m.logger.LogAttrs(ctx, slog.LevelInfo, "login refused by the identity provider", slog.String("error", e))
		m.event(ctx, Event{Kind: EventLoginRefused, Provider: a.Provider, Reason: "identity provider answered " + e})
		m.fail(w, r, FailureLoginRefused)
		return
	}
	p, ok := m.providers[a.Provider]
	if !ok { // the configuration changed during the login
		m.fail(w, r, FailureLoginExpired)
		return
	}
	op, err := m.discover(ctx, p)
	if err != nil {
		m.unavailable(w, r, err)
		return
	}
	octx := oidc.ClientContext(ctx, m.cfg.HTTPClient)
	tok, err := m.oauth2Config(p, op).Exchange(octx, q.Get("code"), oauth2.VerifierOption(a.CodeVerifier))
	if err != nil {
		m.refuse(w, r, p.ID, "exchange code", err)
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		m.refuse(w, r, p.ID, "read token response", errors.New("no ID token"))
		return
	}
	idt, err := op.VerifierContext(octx, &oidc.Config{ClientID: p.ClientID, Now: m.cfg.Now}).Verify(octx, rawID)
	if err != nil {
		m.refuse(w, r, p.ID, "verify ID token", err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(a.Nonce)) != 1 {
		m.refuse(w, r, p.ID, "verify ID token", errors.New("nonce does not match the attempt's"))
		return
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			m.refuse(w, r, p.ID, "verify access token hash", err)
			return
		}
	}
	principal, err := m.verifier.Verify(ctx, tok.AccessToken)
	if err != nil {
		if corridor.KindOf(err) == corridor.KindUnavailable {
			m.unavailable(w, r, err)
			return
		}
		m.refuse(w, r, p.ID, "verify access token", err)
		return
	}
	if principal.Subject != idt.Subject || principal.Issuer != idt.Issuer {
		m.refuse(w, r, p.ID, "match tokens", errors.New("the ID and access tokens name different people"))
		return
	}

	// A session id this server did not issue is never used: the old
	// session, if any, ends, and the new one gets a fresh id.
	if old, err := r.Cookie(m.sessionCookie()); err == nil && old.Value != "" {
		if err := m.store.deleteSession(ctx, old.Value); err != nil {
			m.internal(w, r, err)
			return
		}
	}
	now := m.cfg.Now()
	if err := m.store.deleteExpired(ctx, now, m.cfg.IdleTimeout); err != nil {
		m.internal(w, r, err)
		return
	}
	id := newSecret()
	if err := m.store.createSession(ctx, id, session{
		Provider:   p.ID,
		Principal:  principal,
		IDToken:    rawID,
		CSRFToken:  newSecret(),
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(m.cfg.AbsoluteTimeout),
	}); err != nil {
		m.internal(w, r, err)
		return
	}
	m.setCookie(w, m.sessionCookie(), id, 0)
	m.logger.LogAttrs(ctx, slog.LevelInfo, "login succeeded", slog.String("provider", p.ID))
	m.event(ctx, Event{Kind: EventLogin, Provider: p.ID, Principal: principal})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, a.ReturnPath, http.StatusSeeOther)
}

// logout ends the session: POST /logout with the CSRF token. The browser
// then goes to the provider's end-session endpoint, when it has one, to end
// the provider's session too, and comes back to /logged-out.
func (m *Manager) logout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, id, err := m.current(w, r)
	if errors.Is(err, errNoSession) {
		// Nothing to end (already out, or expired): say so.
		http.Redirect(w, r, LoggedOutPath, http.StatusSeeOther)
		return
	}
	if err != nil {
		m.internal(w, r, err)
		return
	}
	if err := m.checkCSRF(w, r, sess.CSRFToken); err != nil {
		m.refuseCSRF(w, r, sess, err)
		return
	}
	if err := m.store.deleteSession(ctx, id); err != nil {
		m.internal(w, r, err)
		return
	}
	m.clearCookie(w, m.sessionCookie())
	target := LoggedOutPath
	if p, ok := m.providers[sess.Provider]; ok {
		if _, err := m.discover(ctx, p); err == nil && p.endSession != "" {
			if u, err := url.Parse(p.endSession); err == nil {
				v := u.Query()
				v.Set("id_token_hint", sess.IDToken)
				v.Set("client_id", p.ClientID)
				v.Set("post_logout_redirect_uri", m.cfg.PublicURL+LoggedOutPath)
				u.RawQuery = v.Encode()
				target = u.String()
			}
		}
	}
	m.logger.LogAttrs(ctx, slog.LevelInfo, "logout", slog.String("provider", sess.Provider))
	m.event(ctx, Event{Kind: EventLogout, Provider: sess.Provider, Principal: sess.Principal})
	if target == LoggedOutPath {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	// The sign-out form's page allows forms to post to its own origin only
	// (CSP form-action 'self'), and browsers hold a form's redirects to that
	// too: a 303 to the provider would be blocked. A page of this origin
	// that moves on by itself (no script needed) is a new navigation.
	m.render(w, r, http.StatusOK, page{Title: "Signing out", Message: "You are signed out of Corridor. Your identity provider ends its session next.",
		Link: target, LinkText: "Continue", Refresh: target})
}

func (m *Manager) loggedOut(w http.ResponseWriter, r *http.Request) {
	m.render(w, r, http.StatusOK, page{Title: "Signed out", Message: "You are signed out.", Link: LoginPath, LinkText: "Sign in again"})
}

// refuse answers a login that failed verification; the cause is logged,
// not shown.
func (m *Manager) refuse(w http.ResponseWriter, r *http.Request, provider, step string, err error) {
	m.logger.LogAttrs(r.Context(), slog.LevelWarn, "login refused", slog.String("provider", provider), slog.String("step", step), slog.String("error", err.Error()))
	m.event(r.Context(), Event{Kind: EventLoginRefused, Provider: provider, Reason: step + ": " + err.Error()})
	m.fail(w, r, FailureLoginRefused)
}

func (m *Manager) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	m.logger.LogAttrs(r.Context(), slog.LevelWarn, "identity provider unavailable", slog.String("error", err.Error()))
	m.fail(w, r, FailureProviderUnavailable)
}

func (m *Manager) internal(w http.ResponseWriter, r *http.Request, err error) {
	m.logger.LogAttrs(r.Context(), slog.LevelError, "login request failed",
		slog.String("request_id", httpapi.RequestIDFromContext(r.Context())), slog.String("error", err.Error()))
	m.fail(w, r, FailureUnavailable)
}

// fail answers with a problem for a JSON client and a page for a browser:
// Config.ErrorPage's, or a plain one.
func (m *Manager) fail(w http.ResponseWriter, r *http.Request, f Failure) {
	status, message := f.Status(), f.Message()
	if wantsJSON(r) {
		kind := corridor.KindInvalid
		switch status {
		case http.StatusUnauthorized:
			kind = corridor.KindUnauthorized
		case http.StatusForbidden:
			kind = corridor.KindForbidden
		case http.StatusServiceUnavailable:
			kind = corridor.KindUnavailable
		}
		p := httpapi.ProblemFor(&corridor.Error{Kind: kind, Message: message})
		p.Status = status
		p.RequestID = httpapi.RequestIDFromContext(r.Context())
		httpapi.WriteProblem(w, p)
		return
	}
	if m.cfg.ErrorPage != nil {
		m.cfg.ErrorPage(w, r, f)
		return
	}
	p := page{Title: http.StatusText(status), Message: message}
	if f != FailureCSRF {
		p.Link, p.LinkText = LoginPath, "Sign in"
	}
	m.render(w, r, status, p)
}
