package weblogin

import (
	"time"

	"github.com/corridor-org/corridor/pkg/envconf"
)

// Settings are what a service's operator sets about the login, read from
// the environment by ReadSettings; the service adds its providers.
type Settings struct {
	PublicURL       string         // <SERVICE>_PUBLIC_URL
	ClientID        string         // OIDC_CLIENT_ID
	CookieSecure    CookieSecurity // SESSION_COOKIE_SECURE
	IdleTimeout     time.Duration  // SESSION_IDLE_TIMEOUT
	AbsoluteTimeout time.Duration  // SESSION_ABSOLUTE_TIMEOUT
}

// ReadSettings reads the login's variables: publicURLVar (such as
// CASEWORK_PUBLIC_URL, by default http:// and listenAddr), OIDC_CLIENT_ID,
// SESSION_COOKIE_SECURE, SESSION_IDLE_TIMEOUT and SESSION_ABSOLUTE_TIMEOUT.
// Problems are recorded in env.
func ReadSettings(env *envconf.Reader, publicURLVar, listenAddr string) Settings {
	return Settings{
		PublicURL: env.PublicURL(publicURLVar, listenAddr),
		ClientID:  env.Optional(envconf.OIDCClientID, DefaultClientID),
		CookieSecure: CookieSecurity(env.OneOf(envconf.SessionCookieSecure, string(CookieSecureAuto),
			string(CookieSecureAuto), string(CookieSecureAlways), string(CookieSecureNever))),
		IdleTimeout:     env.Duration(envconf.SessionIdleTimeout, DefaultIdleTimeout),
		AbsoluteTimeout: env.Duration(envconf.SessionAbsoluteTimeout, DefaultAbsoluteTimeout),
	}
}

// Config returns the Config of these settings with providers, each
// registered with the settings' client id.
func (s Settings) Config(providers ...Provider) Config {
	for i := range providers {
		if providers[i].ClientID == "" {
			providers[i].ClientID = s.ClientID
		}
	}
	return Config{
		PublicURL:       s.PublicURL,
		Providers:       providers,
		CookieSecure:    s.CookieSecure,
		IdleTimeout:     s.IdleTimeout,
		AbsoluteTimeout: s.AbsoluteTimeout,
	}
}
