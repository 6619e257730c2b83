package weblogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
)

// Defaults of Config's zero values.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	// DefaultClientID is the public client registered for the web pages at
	// every provider of the sandbox.
	DefaultClientID = "corridor-web"
	// attemptLifetime bounds a login in progress: the time a person may
	// spend on the provider's login page.
	attemptLifetime = 15 * time.Minute
	// touchEvery is how often a session's last use is written: sliding the
	// idle timeout costs at most one write a minute per session.
	touchEvery = time.Minute
)

// Paths served by the Manager.
const (
	LoginPath     = "/login"
	CallbackPath  = "/auth/callback"
	LogoutPath    = "/logout"
	LoggedOutPath = "/logged-out"
)

// CookieSecurity says when cookies carry the Secure attribute.
type CookieSecurity string

// The CookieSecurity values.
const (
	// CookieSecureAuto: Secure when the public URL is https.
	CookieSecureAuto CookieSecurity = "auto"
	// CookieSecureAlways: always Secure (a TLS proxy in front of an
	// http:// public URL is a misconfiguration this makes safe).
	CookieSecureAlways CookieSecurity = "true"
	// CookieSecureNever: never Secure, for plain-HTTP development only.
	CookieSecureNever CookieSecurity = "false"
)

// Provider is an identity provider people may log in with.
type Provider struct {
	// ID names the provider in /login?provider=ID, usually the member code.
	ID string
	// Name is what the choice page shows; ID when empty.
	Name string
	// Issuer is the provider's issuer URL; discovery is read from it.
	Issuer string
	// ClientID is the public client registered for this service, with
	// PublicURL+CallbackPath as a redirect URI and PublicURL+LoggedOutPath
	// as a post-logout redirect URI. DefaultClientID when empty.
	ClientID string
}

// Config configures a Manager.
type Config struct {
	// PublicURL is where browsers reach the service, scheme and host
	// without a path, for example https://casework.ci.example.
	// Redirect URIs and the Origin check derive from it.
	PublicURL string
	// Providers are those people may log in with: casework has its own
	// country's; the coordinator every member's.
	Providers []Provider
	// CookieSecure says when cookies are Secure; CookieSecureAuto when empty.
	CookieSecure CookieSecurity
	// IdleTimeout ends a session unused that long (DefaultIdleTimeout);
	// AbsoluteTimeout ends any session that old (DefaultAbsoluteTimeout).
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// HTTPClient talks to the providers; http.DefaultClient when nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OnEvent, when set, is told of every login, refusal and logout, for
	// the audit trail. It runs in the request and must not block long.
	OnEvent func(context.Context, Event)
	// ErrorPage, when set, answers a browser's failed request with the web
	// UI's own page (in the person's language), with f.Status(). Clients
	// asking for JSON get a problem regardless.
	ErrorPage func(w http.ResponseWriter, r *http.Request, f Failure)
}

// Failure says why a login or a signed-in request failed.
type Failure string

// The Failures.
const (
	FailureUnknownProvider     Failure = "unknown_provider"     // /login names no configured provider
	FailureLoginMismatch       Failure = "login_mismatch"       // the callback's state is not this browser's
	FailureLoginExpired        Failure = "login_expired"        // the login attempt is unknown, used or expired
	FailureLoginRefused        Failure = "login_refused"        // the provider refused, or its answer did not verify
	FailureSignedOut           Failure = "signed_out"           // no session, or it ended
	FailureCSRF                Failure = "csrf"                 // an unsafe request without CSRF proof
	FailureProviderUnavailable Failure = "provider_unavailable" // the identity provider cannot be reached
	FailureUnavailable         Failure = "unavailable"          // the database cannot be reached
)

var failures = map[Failure]struct {
	status  int
	message string
}{
	FailureUnknownProvider:     {http.StatusBadRequest, "There is no such identity provider. Go back and choose one from the list."},
	FailureLoginMismatch:       {http.StatusBadRequest, "This sign-in could not be matched to one started in this browser. Start again."},
	FailureLoginExpired:        {http.StatusBadRequest, "This sign-in has expired or was already used. Start again."},
	FailureLoginRefused:        {http.StatusUnauthorized, "The sign-in was refused or could not be verified. Start again."},
	FailureSignedOut:           {http.StatusUnauthorized, "You are not signed in, or your session has ended. Sign in again."},
	FailureCSRF:                {http.StatusForbidden, "This request could not be verified as coming from your own page. Reload the page and try again."},
	FailureProviderUnavailable: {http.StatusServiceUnavailable, "The identity provider cannot be reached. Try again in a moment."},
	FailureUnavailable:         {http.StatusServiceUnavailable, "Sign-in is unavailable for a moment. Try again."},
}

// Status is the HTTP status a request failing for f gets.
func (f Failure) Status() int {
	if e, ok := failures[f]; ok {
		return e.status
	}
	return http.StatusInternalServerError
}

// Message explains f to a person, in English.
func (f Failure) Message() string { return failures[f].message }

// EventKind says what happened to a session.
type EventKind string

// The EventKinds.
const (
	EventLogin        EventKind = "login"
	EventLoginRefused EventKind = "login_refused"
	EventLogout       EventKind = "logout"
	EventCSRFRefused  EventKind = "csrf_refused"
)

// Event is a login, a refusal or a logout. Principal is the person when
// known (zero for a refused login); Reason says why a request was refused,
// in words fit for an audit trail (no token or cookie values).
type Event struct {
	Kind      EventKind
	Provider  string
	Principal auth.Principal
	Reason    string
}

func (cfg Config) withDefaults() (Config, error) {
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	if cfg.CookieSecure == "" {
		cfg.CookieSecure = CookieSecureAuto
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.AbsoluteTimeout == 0 {
		cfg.AbsoluteTimeout = DefaultAbsoluteTimeout
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Providers = append([]Provider(nil), cfg.Providers...)
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		if p.ClientID == "" {
			p.ClientID = DefaultClientID
		}
		if p.Name == "" {
			p.Name = p.ID
		}
	}
	return cfg, cfg.validate()
}

func (cfg Config) validate() error {
	var errs []error
	u, err := url.Parse(cfg.PublicURL)
	if cfg.PublicURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		errs = append(errs, fmt.Errorf("public URL %q is not an http(s) origin without path, query or fragment", cfg.PublicURL))
	}
	switch cfg.CookieSecure {
	case CookieSecureAuto, CookieSecureAlways, CookieSecureNever:
	default:
		errs = append(errs, fmt.Errorf("cookie security %q is not auto, true or false", cfg.CookieSecure))
	}
	if cfg.IdleTimeout < touchEvery {
		errs = append(errs, fmt.Errorf("idle timeout %s is shorter than %s", cfg.IdleTimeout, touchEvery))
	}
	if cfg.AbsoluteTimeout < cfg.IdleTimeout {
		errs = append(errs, fmt.Errorf("absolute timeout %s is shorter than the idle timeout %s", cfg.AbsoluteTimeout, cfg.IdleTimeout))
	}
	if len(cfg.Providers) == 0 {
		errs = append(errs, errors.New("no identity provider"))
	}
	ids := map[string]bool{}
	for i, p := range cfg.Providers {
		switch {
		case p.ID == "":
			errs = append(errs, fmt.Errorf("provider %d: id is required", i))
		case ids[p.ID]:
			errs = append(errs, fmt.Errorf("provider %q: duplicate id", p.ID))
		}
		ids[p.ID] = true
		if iu, err := url.Parse(p.Issuer); p.Issuer == "" || err != nil || (iu.Scheme != "http" && iu.Scheme != "https") || iu.Host == "" {
			errs = append(errs, fmt.Errorf("provider %q: issuer %q is not an http(s) URL", p.ID, p.Issuer))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("validate login config: %w", err)
	}
	return nil
}

// secure reports whether cookies carry the Secure attribute, and so the
// __Host- prefix, which browsers accept only on Secure cookies.
func (cfg Config) secure() bool {
	switch cfg.CookieSecure {
	case CookieSecureAlways:
		return true
	case CookieSecureNever:
		return false
	default:
		return strings.HasPrefix(cfg.PublicURL, "https://")
	}
}
