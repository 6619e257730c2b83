package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/weblogin"
)

// withLogin serves api (bearer tokens) together with the login routes of
// the coordinator's pages. A coordinator signs in with their own country's
// provider, so every member's provider in the directory is offered.
func withLogin(cfg config, api http.Handler, dir *directory.Directory, pool *pgxpool.Pool, verifier *auth.Verifier, logger *slog.Logger) (http.Handler, error) {
	var providers []weblogin.Provider
	for _, m := range dir.Members {
		if m.OIDC != nil {
			providers = append(providers, weblogin.Provider{ID: string(m.Code), Name: m.Name, Issuer: m.OIDC.Issuer})
		}
	}
	login, err := weblogin.New(cfg.Login.Config(providers...), pool, verifier, logger)
	if err != nil {
		return nil, fmt.Errorf("start coordinator: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", api)
	login.Routes(mux)
	// A placeholder home page until the coordinator's pages serve GET /.
	mux.Handle("GET /{$}", login.Require(login.SignedInPage()))
	return mux, nil
}
