package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
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
	NATSUser      string              // NATS_USER
	NATSPassword  string              // NATS_PASSWORD
	OIDCIssuer    string              // OIDC_ISSUER
	OIDCAudience  string              // OIDC_AUDIENCE
	LogLevel      slog.Level          // LOG_LEVEL
}

// loadConfig reads the configuration and reports every missing or bad
// variable at once, so that an operator fixes them in one go.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		HTTPAddr:      getenv("RELAY_HTTP_ADDR"),
		DatabaseURL:   getenv("DATABASE_URL"),
		Member:        corridor.MemberCode(strings.ToUpper(strings.TrimSpace(getenv("CORRIDOR_MEMBER")))),
		DirectoryPath: getenv("CORRIDOR_DIRECTORY"),
		AnchorPath:    getenv("CORRIDOR_DIRECTORY_ANCHOR"),
		CachePath:     getenv("CORRIDOR_DIRECTORY_CACHE"),
		KeysFile:      getenv("RELAY_KEYS_FILE"),
		NATSURL:       getenv("NATS_URL"),
		NATSUser:      getenv("NATS_USER"),
		NATSPassword:  getenv("NATS_PASSWORD"),
		OIDCIssuer:    getenv("OIDC_ISSUER"),
		OIDCAudience:  getenv("OIDC_AUDIENCE"),
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8081"
	}
	var errs []error
	for _, v := range []struct{ name, value string }{
		{"DATABASE_URL", c.DatabaseURL},
		{"CORRIDOR_MEMBER", string(c.Member)},
		{"CORRIDOR_DIRECTORY", c.DirectoryPath},
		{"CORRIDOR_DIRECTORY_ANCHOR", c.AnchorPath},
		{"RELAY_KEYS_FILE", c.KeysFile},
		{"NATS_URL", c.NATSURL},
		{"OIDC_ISSUER", c.OIDCIssuer},
		{"OIDC_AUDIENCE", c.OIDCAudience},
	} {
		if v.value == "" {
			errs = append(errs, fmt.Errorf("%s is not set", v.name))
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(orDefault(getenv("LOG_LEVEL"), "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return config{}, fmt.Errorf("read configuration: %w", err)
	}
	return c, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
