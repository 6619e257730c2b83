package main

import (
	"errors"
	"fmt"
	"log/slog"
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
	c := config{
		HTTPAddr:      getenv("COORDINATOR_HTTP_ADDR"),
		DatabaseURL:   getenv("DATABASE_URL"),
		DirectoryPath: getenv("CORRIDOR_DIRECTORY"),
		AnchorPath:    getenv("CORRIDOR_DIRECTORY_ANCHOR"),
		CachePath:     getenv("CORRIDOR_DIRECTORY_CACHE"),
		NATSURL:       getenv("NATS_URL"),
		NATSUser:      getenv("NATS_USER"),
		NATSPassword:  getenv("NATS_PASSWORD"),
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8090"
	}
	var errs []error
	for _, v := range []struct{ name, value string }{
		{"DATABASE_URL", c.DatabaseURL},
		{"CORRIDOR_DIRECTORY", c.DirectoryPath},
		{"CORRIDOR_DIRECTORY_ANCHOR", c.AnchorPath},
		{"NATS_URL", c.NATSURL},
	} {
		if v.value == "" {
			errs = append(errs, fmt.Errorf("%s is not set", v.name))
		}
	}
	level := getenv("LOG_LEVEL")
	if level == "" {
		level = "info"
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return config{}, fmt.Errorf("read configuration: %w", err)
	}
	return c, nil
}
