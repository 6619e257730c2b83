package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/services/casework/internal/app"
)

// defaultHTTPAddr keeps a development casework off the public interfaces.
const defaultHTTPAddr = "127.0.0.1:8080"

// loadConfig reads the service's configuration from the environment: the
// only place it comes from, so that a deployment is described by its unit
// file or manifest alone.
func loadConfig(getenv func(string) string) (app.Config, slog.Level, error) {
	cfg := app.Config{
		HTTPAddr:        getenv("CASEWORK_HTTP_ADDR"),
		DatabaseURL:     getenv("DATABASE_URL"),
		Member:          corridor.MemberCode(strings.ToUpper(strings.TrimSpace(getenv("CORRIDOR_MEMBER")))),
		DirectoryPath:   getenv("CORRIDOR_DIRECTORY"),
		DirectoryAnchor: getenv("CORRIDOR_DIRECTORY_ANCHOR"),
		DirectoryCache:  getenv("CORRIDOR_DIRECTORY_CACHE"),
		OIDCIssuer:      getenv("OIDC_ISSUER"),
		OIDCAudience:    getenv("OIDC_AUDIENCE"),
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = defaultHTTPAddr
	}
	if cfg.OIDCAudience == "" && cfg.Member != "" {
		cfg.OIDCAudience = "corridor-" + cfg.Member.Domain()
	}
	var errs []error
	for _, req := range []struct{ name, value string }{
		{"DATABASE_URL", cfg.DatabaseURL},
		{"CORRIDOR_MEMBER", string(cfg.Member)},
		{"CORRIDOR_DIRECTORY", cfg.DirectoryPath},
		{"CORRIDOR_DIRECTORY_ANCHOR", cfg.DirectoryAnchor},
		{"OIDC_ISSUER", cfg.OIDCIssuer},
	} {
		if req.value == "" {
			errs = append(errs, fmt.Errorf("%s is required", req.name))
		}
	}
	level, err := parseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return app.Config{}, 0, fmt.Errorf("load config: %w", err)
	}
	return cfg, level, nil
}

// parseLevel reads LOG_LEVEL: debug, info (the default), warn or error.
func parseLevel(s string) (slog.Level, error) {
	if s == "" {
		return slog.LevelInfo, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("LOG_LEVEL %q: must be debug, info, warn or error", s)
	}
	return l, nil
}
