// Command relay is a member country's access point to the corridor: it
// seals, signs and publishes what the case system puts in the exchange
// outbox, and verifies, opens and stores in the exchange inbox what peers
// send, answering each message with a signed receipt.
//
// Configuration is read from the environment only: RELAY_HTTP_ADDR,
// DATABASE_URL, CORRIDOR_MEMBER, CORRIDOR_DIRECTORY, CORRIDOR_DIRECTORY_ANCHOR,
// CORRIDOR_DIRECTORY_CACHE, RELAY_KEYS_FILE, NATS_URL, NATS_NKEY_SEED_FILE,
// OIDC_ISSUER, OIDC_AUDIENCE, OIDC_ROLES_CLAIM, OIDC_ROLE_MAP,
// OIDC_COUNTRY_CLAIM, OIDC_AGENCY_CLAIM, LOG_LEVEL, and for the country
// administrator's pages RELAY_PUBLIC_URL, OIDC_CLIENT_ID,
// SESSION_COOKIE_SECURE, SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/corridor-org/corridor/pkg/audit/audithttp"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/streams"
	"github.com/corridor-org/corridor/pkg/weblogin"
	"github.com/corridor-org/corridor/services/relay/internal/pages"
	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
}

// startTimeout bounds waiting for the database at start-up: services start
// in any order, but a relay that cannot reach its database for this long
// is misconfigured.
const startTimeout = 2 * time.Minute

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: relay (configured by environment variables; see the package documentation)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel})).
		With("service", "relay")

	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	pool, err := pgdb.Open(startCtx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := relay.Migrate(startCtx, cfg.DatabaseURL); err != nil {
		return err
	}
	// The sessions' tables are casework's too (same database); whichever
	// service starts first creates them.
	if err := weblogin.Migrate(startCtx, cfg.DatabaseURL); err != nil {
		return err
	}

	dir, err := directory.OpenFileSource(cfg.DirectoryPath, cfg.AnchorPath, cfg.CachePath, logger)
	if err != nil {
		return err
	}
	keys, err := loadKeys(startCtx, cfg, dir)
	if err != nil {
		return err
	}

	nc, err := streams.Connect(cfg.NATSURL, "relay "+string(cfg.Member), cfg.NATSSeedFile, logger)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, relay.JetStreamOptions()...)
	if err != nil {
		return fmt.Errorf("connect to JetStream: %w", err)
	}

	verifier, err := auth.NewVerifier(auth.Config{Issuers: []auth.Issuer{{
		URL: cfg.OIDCIssuer, Audience: cfg.OIDCAudience, Member: cfg.Member, Claims: cfg.OIDCClaims,
	}}}, logger)
	if err != nil {
		return err
	}
	reg := httpapi.NewRegistry()
	r, err := relay.New(relay.Config{
		Member:    cfg.Member,
		Pool:      pool,
		Conn:      nc,
		JetStream: js,
		Directory: dir,
		Keys:      relay.KeysFromFile(keys),
		Verifier:  verifier,
		Logger:    logger,
		Registry:  reg,
	})
	if err != nil {
		return err
	}
	api, err := r.Handler()
	if err != nil {
		return err
	}
	handler, err := withPages(cfg, r, api, pool, verifier, logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	logger.Info("serving HTTP", "addr", ln.Addr().String())
	runErr := httpapi.Serve(ctx, httpapi.NewServer(handler, logger), ln, r.Run)
	logger.Info("relay stopped")
	return runErr
}

// withPages puts the country administrator's pages, behind the login to
// the member's identity provider, beside the API: the API keeps taking
// bearer tokens, the pages take sessions.
func withPages(cfg config, r *relay.Relay, api http.Handler, pool *pgxpool.Pool, verifier *auth.Verifier, logger *slog.Logger) (http.Handler, error) {
	// The login's failures are shown as the pages' error pages, and the
	// pages sit behind the login: each needs the other.
	var site *pages.Site
	loginCfg := cfg.Login.Config(weblogin.Provider{ID: string(cfg.Member), Issuer: cfg.OIDCIssuer})
	loginCfg.ErrorPage = func(w http.ResponseWriter, req *http.Request, f weblogin.Failure) {
		site.ErrorPage(w, req, f.Status())
	}
	// Logins, logouts and refusals are in the audit trail, as casework's are.
	loginCfg.OnEvent = audithttp.Sessions(pool, logger)
	login, err := weblogin.New(loginCfg, pool, verifier, logger)
	if err != nil {
		return nil, err
	}
	// Every page a person opens or posts, or is refused, is in the audit
	// trail, as the API's requests are.
	audited := audithttp.Middleware(audithttp.Config{DB: pool, Logger: logger})
	authenticate := func(h http.Handler) http.Handler { return audited(login.Require(audithttp.Identify(h))) }
	site, err = pages.New(pages.Config{Quarantine: r, Logger: logger, Authenticate: authenticate,
		CSRFToken: func(req *http.Request) string { return weblogin.CSRFToken(req.Context()) }})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", api)
	login.Routes(mux)
	site.Register(mux)
	return mux, nil
}

// loadKeys reads the key file and checks it against the directory: a relay
// whose keys peers cannot use would fail every message, so it fails at
// start instead.
func loadKeys(ctx context.Context, cfg config, src directory.Source) (*keyfile.File, error) {
	keys, err := keyfile.Load(cfg.KeysFile)
	if err != nil {
		return nil, err
	}
	if keys.Member != cfg.Member {
		return nil, fmt.Errorf("key file %s holds the keys of %s, not of %s", cfg.KeysFile, keys.Member, cfg.Member)
	}
	dir, err := src.Current(ctx)
	if err != nil {
		return nil, err
	}
	if err := keys.CheckDirectory(dir, time.Now()); err != nil {
		return nil, err
	}
	return keys, nil
}
