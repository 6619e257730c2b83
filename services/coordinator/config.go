package main

import (
	"log/slog"

	"github.com/corridor-org/corridor/pkg/envconf"
)

// config is the coordinator's configuration, read from the environment only.
type config struct {
	HTTPAddr      string     // COORDINATOR_HTTP_ADDR
	DatabaseURL   string     // DATABASE_URL
	DirectoryPath string     // CORRIDOR_DIRECTORY
	AnchorPath    string     // CORRIDOR_DIRECTORY_ANCHOR
	CachePath     string     // CORRIDOR_DIRECTORY_CACHE (optional)
	NATSURL       string     // NATS_URL
	NATSUser      string     // NATS_USER
	NATSPassword  string     // NATS_PASSWORD
	LogLevel      slog.Level // LOG_LEVEL
}

// loadConfig reads the configuration and reports every missing or bad
// variable at once.
//
// COORDINATOR_KEYS_FILE is not read: the coordinator only verifies events
// here, so it needs no private key, and the key file package links the
// envelope code that the coordinator must never link.
func loadConfig(getenv func(string) string) (config, error) {
	env := envconf.New(getenv)
	c := config{
		HTTPAddr:      env.Optional("COORDINATOR_HTTP_ADDR", "127.0.0.1:8090"),
		DatabaseURL:   env.Required(envconf.DatabaseURL),
		DirectoryPath: env.Required(envconf.Directory),
		AnchorPath:    env.Required(envconf.DirectoryAnchor),
		CachePath:     env.Optional(envconf.DirectoryCache, ""),
		NATSURL:       env.Required(envconf.NATSURL),
		NATSUser:      env.Optional(envconf.NATSUser, ""),
		NATSPassword:  env.Optional(envconf.NATSPass, ""),
		LogLevel:      env.LogLevel(),
	}
	if err := env.Err(); err != nil {
		return config{}, err
	}
	return c, nil
}
