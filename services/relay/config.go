package main

import (
	"log/slog"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/envconf"
	"github.com/corridor-org/corridor/pkg/weblogin"
)

// config is the relay's configuration, read from the environment only.
type config struct {
	HTTPAddr      string              // RELAY_HTTP_ADDR
	DatabaseURL   string              // DATABASE_URL
	Member        corridor.MemberCode // CORRIDOR_MEMBER ("CI")
	DirectoryPath string              // CORRIDOR_DIRECTORY
	AnchorPath    string              // CORRIDOR_DIRECTORY_ANCHOR
	CachePath     string              // CORRIDOR_DIRECTORY_CACHE (optional)
	KeysFile      string              // RELAY_KEYS_FILE
	NATSURL       string              // NATS_URL
	NATSSeedFile  string              // NATS_NKEY_SEED_FILE
	OIDCIssuer    string              // OIDC_ISSUER
	OIDCAudience  string              // OIDC_AUDIENCE, by default corridor-<member>
	OIDCClaims    auth.Claims         // OIDC_ROLES_CLAIM, OIDC_ROLE_MAP, OIDC_COUNTRY_CLAIM, OIDC_AGENCY_CLAIM
	LogLevel      slog.Level          // LOG_LEVEL
	// Login is the country administrator's login to the pages:
	// RELAY_PUBLIC_URL, OIDC_CLIENT_ID, SESSION_COOKIE_SECURE,
	// SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT.
	Login weblogin.Settings
}

// loadConfig reads the configuration and reports every missing or bad
// variable at once.
func loadConfig(getenv func(string) string) (config, error) {
	env := envconf.New(getenv)
	c := config{
		HTTPAddr:      env.Optional("RELAY_HTTP_ADDR", "127.0.0.1:8081"),
		DatabaseURL:   env.Required(envconf.DatabaseURL),
		Member:        env.Member(envconf.Member),
		DirectoryPath: env.Required(envconf.Directory),
		AnchorPath:    env.Required(envconf.DirectoryAnchor),
		CachePath:     env.Optional(envconf.DirectoryCache, ""),
		KeysFile:      env.Required("RELAY_KEYS_FILE"),
		NATSURL:       env.Required(envconf.NATSURL),
		NATSSeedFile:  env.Required(envconf.NATSSeedFile),
		OIDCIssuer:    env.Required(envconf.OIDCIssuer),
		LogLevel:      env.LogLevel(),
	}
	c.OIDCAudience = env.Audience(c.Member)
	c.OIDCClaims = env.Claims()
	c.Login = weblogin.ReadSettings(env, "RELAY_PUBLIC_URL", c.HTTPAddr)
	if err := env.Err(); err != nil {
		return config{}, err
	}
	return c, nil
}
