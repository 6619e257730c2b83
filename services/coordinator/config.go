package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"slices"
	"time"

	"github.com/corridor-org/corridor/pkg/envconf"
	"github.com/corridor-org/corridor/pkg/weblogin"
)

// config is the coordinator's configuration, read from the environment only.
type config struct {
	HTTPAddr      string     // COORDINATOR_HTTP_ADDR
	DatabaseURL   string     // DATABASE_URL
	DirectoryPath string     // CORRIDOR_DIRECTORY
	AnchorPath    string     // CORRIDOR_DIRECTORY_ANCHOR
	CachePath     string     // CORRIDOR_DIRECTORY_CACHE (optional)
	NATSURL       string     // NATS_URL
	NATSSeedFile  string     // NATS_NKEY_SEED_FILE
	LogLevel      slog.Level // LOG_LEVEL

	// Overdue notices and freshness (docs/coordinator.md).
	KeysPath          string        // COORDINATOR_KEYS_FILE (optional): signs webhook notices and indicator sets
	SMTPAddr          string        // COORDINATOR_SMTP_ADDR (optional, host:port)
	SMTPFrom          string        // COORDINATOR_SMTP_FROM (with SMTPAddr)
	SMTPUser          string        // COORDINATOR_SMTP_USER (optional)
	SMTPPassword      string        // COORDINATOR_SMTP_PASSWORD (optional)
	NotifyInterval    time.Duration // COORDINATOR_NOTIFY_INTERVAL (1m)
	OutOfContactAfter time.Duration // COORDINATOR_OUT_OF_CONTACT_AFTER (72h)

	// Published indicator sets (docs/indicators.md), with KeysPath.
	PublishPeriod   string        // COORDINATOR_PUBLISH_PERIOD (quarter): month, quarter or year
	PublishInterval time.Duration // COORDINATOR_PUBLISH_INTERVAL (1h)

	// Login is how people sign in to the pages: COORDINATOR_PUBLIC_URL,
	// OIDC_CLIENT_ID, SESSION_COOKIE_SECURE, SESSION_*_TIMEOUT.
	Login weblogin.Settings
}

// loadConfig reads the configuration and reports every missing or bad
// variable at once.
//
// COORDINATOR_KEYS_FILE, when set, is read for the coordinator's signing
// key alone (signingkey.go): the key file package links the envelope code
// that the coordinator must never link. The key signs webhook notices and
// published indicator sets.
func loadConfig(getenv func(string) string) (config, error) {
	env := envconf.New(getenv)
	c := config{
		HTTPAddr:      env.Optional("COORDINATOR_HTTP_ADDR", "127.0.0.1:8090"),
		DatabaseURL:   env.Required(envconf.DatabaseURL),
		DirectoryPath: env.Required(envconf.Directory),
		AnchorPath:    env.Required(envconf.DirectoryAnchor),
		CachePath:     env.Optional(envconf.DirectoryCache, ""),
		NATSURL:       env.Required(envconf.NATSURL),
		NATSSeedFile:  env.Required(envconf.NATSSeedFile),
		LogLevel:      env.LogLevel(),
		KeysPath:      env.Optional("COORDINATOR_KEYS_FILE", ""),
		SMTPAddr:      env.Optional("COORDINATOR_SMTP_ADDR", ""),
		SMTPFrom:      env.Optional("COORDINATOR_SMTP_FROM", ""),
		SMTPUser:      env.Optional("COORDINATOR_SMTP_USER", ""),
		SMTPPassword:  env.Optional("COORDINATOR_SMTP_PASSWORD", ""),
		PublishPeriod: env.Optional("COORDINATOR_PUBLISH_PERIOD", "quarter"),
	}
	c.Login = weblogin.ReadSettings(env, "COORDINATOR_PUBLIC_URL", c.HTTPAddr)
	var errs []error
	duration := func(name string, def time.Duration) time.Duration {
		s := env.Optional(name, "")
		if s == "" {
			return def
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be a positive duration such as 72h", name))
			return def
		}
		return d
	}
	c.NotifyInterval = duration("COORDINATOR_NOTIFY_INTERVAL", time.Minute)
	c.OutOfContactAfter = duration("COORDINATOR_OUT_OF_CONTACT_AFTER", 72*time.Hour)
	c.PublishInterval = duration("COORDINATOR_PUBLISH_INTERVAL", time.Hour)
	if !slices.Contains([]string{"month", "quarter", "year"}, c.PublishPeriod) {
		errs = append(errs, errors.New("COORDINATOR_PUBLISH_PERIOD: must be month, quarter or year"))
	}
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			errs = append(errs, errors.New("COORDINATOR_SMTP_ADDR: must be host:port"))
		}
		if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
			errs = append(errs, errors.New("COORDINATOR_SMTP_FROM: must be an e-mail address when COORDINATOR_SMTP_ADDR is set"))
		}
	}
	if err := errors.Join(append([]error{env.Err()}, errs...)...); err != nil {
		return config{}, err
	}
	return c, nil
}
