package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/weblogin"
	"github.com/corridor-org/corridor/services/coordinator/internal/web"
)

// withLogin serves api (bearer tokens) together with the coordinator's
// pages and their login routes. A coordinator signs in with their own
// country's provider, so every member's provider in the directory is
// offered.
func withLogin(cfg config, api http.Handler, dir *directory.Directory, src directory.Source, pool *pgxpool.Pool, verifier *auth.Verifier, logger *slog.Logger) (http.Handler, error) {
	var providers []weblogin.Provider
	for _, m := range dir.Members {
		if m.OIDC != nil {
			providers = append(providers, weblogin.Provider{ID: string(m.Code), Name: m.Name, Issuer: m.OIDC.Issuer})
		}
	}
	// The login's failures are shown as the pages' error pages, and the
	// pages sit behind the login: each needs the other.
	var site *web.Site
	loginCfg := cfg.Login.Config(providers...)
	loginCfg.ErrorPage = func(w http.ResponseWriter, r *http.Request, f weblogin.Failure) {
		site.ErrorPage(w, r, f.Status())
	}
	login, err := weblogin.New(loginCfg, pool, verifier, logger)
	if err != nil {
		return nil, fmt.Errorf("start coordinator: %w", err)
	}
	site, err = web.New(web.Config{
		DB: pool, Directory: src, Logger: logger, Authenticate: login.Require,
		CSRFToken:         func(r *http.Request) string { return weblogin.CSRFToken(r.Context()) },
		OutOfContactAfter: cfg.OutOfContactAfter,
	})
	if err != nil {
		return nil, fmt.Errorf("start coordinator: %w", err)
	}
	mux := http.NewServeMux()
	for _, prefix := range []string{"/api/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(prefix, api)
	}
	// Any other path is a page nobody serves: people get the 404 page, in
	// their language, not the API's problem document.
	mux.Handle("/", site.NotFound())
	login.Routes(mux)
	site.Register(mux)
	return mux, nil
}
