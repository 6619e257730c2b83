package main

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/weblogin"
	"github.com/corridor-org/corridor/services/casework/internal/app"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	full := map[string]string{
		"CASEWORK_HTTP_ADDR":                 "127.0.0.1:9000",
		"DATABASE_URL":                       "postgres://localhost/ci",
		"CORRIDOR_MEMBER":                    " ci ",
		"CORRIDOR_DIRECTORY":                 "/etc/corridor/directory.json",
		"CORRIDOR_DIRECTORY_ANCHOR":          "/etc/corridor/anchor.json",
		"OIDC_ISSUER":                        "http://127.0.0.1:9001",
		"OIDC_AUDIENCE":                      "corridor-ci",
		"OIDC_ROLES_CLAIM":                   "realm_access.roles",
		"OIDC_ROLE_MAP":                      "dpe-officer=caseworker",
		"CASEWORK_CLOSURE_APPROVAL":          "supervisor",
		"LOG_LEVEL":                          "debug",
		"CASEWORK_PUBLIC_URL":                "https://casework.ci.example",
		"OIDC_CLIENT_ID":                     "casework",
		"SESSION_COOKIE_SECURE":              "true",
		"SESSION_IDLE_TIMEOUT":               "15m",
		"SESSION_ABSOLUTE_TIMEOUT":           "8h",
		"CASEWORK_AUDIT_KEY":                 "/etc/corridor/ci-audit.json",
		"CASEWORK_AUDIT_CHECKPOINT_EVERY":    "500",
		"CASEWORK_AUDIT_CHECKPOINT_INTERVAL": "5m",
		"CASEWORK_RELAY_URL":                 "https://relay.ci.example/",
	}
	cfg, level, err := loadConfig(env(full))
	if err != nil {
		t.Fatal(err)
	}
	want := app.Config{HTTPAddr: "127.0.0.1:9000", DatabaseURL: "postgres://localhost/ci", Member: "CI",
		DirectoryPath: "/etc/corridor/directory.json", DirectoryAnchor: "/etc/corridor/anchor.json", OIDCIssuer: "http://127.0.0.1:9001", OIDCAudience: "corridor-ci",
		Login: weblogin.Settings{PublicURL: "https://casework.ci.example", ClientID: "casework", CookieSecure: weblogin.CookieSecureAlways,
			IdleTimeout: 15 * time.Minute, AbsoluteTimeout: 8 * time.Hour},
		OIDCClaims:      auth.Claims{Roles: "realm_access.roles", RoleValues: map[string]corridor.Role{"dpe-officer": corridor.RoleCaseworker}},
		ClosureApproval: true,
		AuditKey:        "/etc/corridor/ci-audit.json", AuditCheckpointEvery: 500, AuditCheckpointInterval: 5 * time.Minute,
		RelayURL: "https://relay.ci.example"}
	if !reflect.DeepEqual(cfg, want) || level != slog.LevelDebug {
		t.Errorf("config = %+v level %v, want %+v debug", cfg, level, want)
	}

	// Defaults: address, audience from the member, info level.
	minimal := map[string]string{"DATABASE_URL": "x", "CORRIDOR_MEMBER": "BF", "CORRIDOR_DIRECTORY": "d", "CORRIDOR_DIRECTORY_ANCHOR": "a", "OIDC_ISSUER": "http://i"}
	cfg, level, err = loadConfig(env(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != defaultHTTPAddr || cfg.OIDCAudience != "corridor-bf" || level != slog.LevelInfo ||
		cfg.Login != (weblogin.Settings{PublicURL: "http://" + defaultHTTPAddr, ClientID: weblogin.DefaultClientID, CookieSecure: weblogin.CookieSecureAuto,
			IdleTimeout: weblogin.DefaultIdleTimeout, AbsoluteTimeout: weblogin.DefaultAbsoluteTimeout}) {
		t.Errorf("defaults: %+v %v", cfg, level)
	}

	// Every problem is reported at once.
	_, _, err = loadConfig(env(map[string]string{"LOG_LEVEL": "loud", "SESSION_COOKIE_SECURE": "yes", "SESSION_IDLE_TIMEOUT": "soon",
		"CASEWORK_AUDIT_CHECKPOINT_EVERY": "-1", "CASEWORK_AUDIT_CHECKPOINT_INTERVAL": "often", "CASEWORK_RELAY_URL": "relay"}))
	if err == nil {
		t.Fatal("empty environment accepted")
	}
	for _, name := range []string{"DATABASE_URL", "CORRIDOR_MEMBER", "CORRIDOR_DIRECTORY", "CORRIDOR_DIRECTORY_ANCHOR", "OIDC_ISSUER", "LOG_LEVEL", "SESSION_COOKIE_SECURE", "SESSION_IDLE_TIMEOUT",
		"CASEWORK_AUDIT_CHECKPOINT_EVERY", "CASEWORK_AUDIT_CHECKPOINT_INTERVAL", "CASEWORK_RELAY_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestRunRefusesArgumentsAndBadConfig(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"casework", "serve"}, env(nil), &out); err == nil {
		t.Error("arguments accepted")
	}
	if err := run(context.Background(), []string{"casework"}, env(nil), &out); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("empty environment: %v", err)
	}
}
