// Package oidcdevtest runs a development OpenID provider for a test, on a
// loopback port chosen by the system, and stops it when the test ends.
package oidcdevtest

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/corridor-org/corridor/pkg/oidcdev"
)

// Server is a provider served for one test.
type Server struct {
	// URL is the issuer.
	URL      string
	Provider *oidcdev.Provider
}

// Start serves a provider configured by cfg, whose Issuer it fills in. Logs
// at warning level and above go to the test's output.
func Start(t testing.TB, cfg oidcdev.Config) *Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.Issuer = "http://" + srv.Listener.Addr().String()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	p, err := oidcdev.New(cfg, logger)
	if err != nil {
		srv.Close()
		t.Fatalf("start oidc provider: %v", err)
	}
	srv.Config.Handler = p.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return &Server{URL: cfg.Issuer, Provider: p}
}
