package main

import (
	"log/slog"

	"github.com/corridor-org/corridor/pkg/envconf"
	"github.com/corridor-org/corridor/pkg/weblogin"
	"github.com/corridor-org/corridor/services/casework/internal/app"
)

// defaultHTTPAddr keeps a development casework off the public interfaces.
const defaultHTTPAddr = "127.0.0.1:8080"

// loadConfig reads the service's configuration from the environment and
// reports every missing or bad variable at once.
func loadConfig(getenv func(string) string) (app.Config, slog.Level, error) {
	env := envconf.New(getenv)
	cfg := app.Config{
		HTTPAddr:        env.Optional("CASEWORK_HTTP_ADDR", defaultHTTPAddr),
		DatabaseURL:     env.Required(envconf.DatabaseURL),
		Member:          env.Member(envconf.Member),
		DirectoryPath:   env.Required(envconf.Directory),
		DirectoryAnchor: env.Required(envconf.DirectoryAnchor),
		DirectoryCache:  env.Optional(envconf.DirectoryCache, ""),
		OIDCIssuer:      env.Required(envconf.OIDCIssuer),
	}
	cfg.OIDCAudience = env.Audience(cfg.Member)
	cfg.Login = weblogin.ReadSettings(env, "CASEWORK_PUBLIC_URL", cfg.HTTPAddr)
	cfg.OIDCClaims = env.Claims()
	cfg.ClosureApproval = env.OneOf("CASEWORK_CLOSURE_APPROVAL", "none", "none", "supervisor") == "supervisor"
	cfg.AuditKey = env.Optional("CASEWORK_AUDIT_KEY", "")
	cfg.AuditCheckpointEvery = env.Count("CASEWORK_AUDIT_CHECKPOINT_EVERY", 0)
	cfg.AuditCheckpointInterval = env.Duration("CASEWORK_AUDIT_CHECKPOINT_INTERVAL", 0)
	if getenv("CASEWORK_RELAY_URL") != "" {
		cfg.RelayURL = env.PublicURL("CASEWORK_RELAY_URL", "")
	}
	level := env.LogLevel()
	if err := env.Err(); err != nil {
		return app.Config{}, 0, err
	}
	return cfg, level, nil
}
