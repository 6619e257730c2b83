package app

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/audit/audithttp"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory/keyfile"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/pgdb"
	"github.com/corridor-org/corridor/pkg/weblogin"
	"github.com/corridor-org/corridor/services/casework/internal/api"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/web"
	"github.com/corridor-org/corridor/services/casework/internal/web/filing"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// Config is casework's configuration (main reads it from the environment).
type Config struct {
	HTTPAddr      string              // CASEWORK_HTTP_ADDR
	DatabaseURL   string              // DATABASE_URL
	Member        corridor.MemberCode // CORRIDOR_MEMBER
	DirectoryPath string              // CORRIDOR_DIRECTORY
	// DirectoryAnchor and DirectoryCache configure the directory's
	// verification (directory.OpenFileSource); the cache is optional.
	DirectoryAnchor string // CORRIDOR_DIRECTORY_ANCHOR
	DirectoryCache  string // CORRIDOR_DIRECTORY_CACHE
	OIDCIssuer      string // OIDC_ISSUER
	OIDCAudience    string // OIDC_AUDIENCE
	// Login is how people sign in to the pages: the public URL, the
	// client registered at the provider, the session cookie and timeouts.
	Login weblogin.Settings
	// OIDCClaims says where the provider puts roles, country and agency
	// (OIDC_ROLES_CLAIM, OIDC_ROLE_MAP, OIDC_COUNTRY_CLAIM,
	// OIDC_AGENCY_CLAIM); the zero value reads Corridor's own claims.
	OIDCClaims auth.Claims
	// ClosureApproval makes a caseworker's close wait for a supervisor's
	// approval (CASEWORK_CLOSURE_APPROVAL=supervisor).
	ClosureApproval bool
	// RelayURL is where browsers reach the member's relay (its
	// quarantine pages), for a link on the administrator's page only;
	// optional.
	RelayURL string // CASEWORK_RELAY_URL
	// PollInterval is how often the applier looks at the inbox without a
	// notification; DefaultPollInterval when zero.
	PollInterval time.Duration
	// AuditKey is the audit key file (keyfile.AuditFile) that signs the
	// audit trail's checkpoints, every AuditCheckpointEvery entries or
	// AuditCheckpointInterval (audit's defaults when zero). Without it,
	// no checkpoints are signed.
	AuditKey                string        // CASEWORK_AUDIT_KEY
	AuditCheckpointEvery    int64         // CASEWORK_AUDIT_CHECKPOINT_EVERY
	AuditCheckpointInterval time.Duration // CASEWORK_AUDIT_CHECKPOINT_INTERVAL
}

// Timeouts of the service's life cycle.
const (
	DefaultPollInterval = 2 * time.Second
	startTimeout        = 2 * time.Minute // the database may start after us
)

// App is a configured casework, ready to serve.
type App struct {
	cfg         Config
	logger      *slog.Logger
	pool        *pgxpool.Pool
	svc         *workflow.Service
	handler     http.Handler
	checkpoints *audit.Checkpointer // nil without an audit key
}

// New connects to the database, migrates it, loads the directory and
// builds the service. Close releases what it holds.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	dir, corridorID, err := openDirectory(startCtx, cfg, logger)
	if err != nil {
		return nil, err
	}
	pool, err := pgdb.Open(startCtx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("start casework: %w", err)
	}
	a, err := build(startCtx, cfg, logger, pool, dir, corridorID)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return a, nil
}

func build(ctx context.Context, cfg Config, logger *slog.Logger, pool *pgxpool.Pool, dir *corridorDirectory, corridorID string) (*App, error) {
	if err := store.Migrate(ctx, cfg.DatabaseURL); err != nil {
		return nil, fmt.Errorf("start casework: %w", err)
	}
	var checkpoints *audit.Checkpointer
	if cfg.AuditKey != "" {
		k, err := keyfile.LoadAudit(cfg.AuditKey)
		if err != nil {
			return nil, fmt.Errorf("start casework: %w", err)
		}
		checkpoints = &audit.Checkpointer{DB: pool, Signer: audit.Signer{ID: k.ID, Key: k.SigningKey()},
			Every: cfg.AuditCheckpointEvery, Interval: cfg.AuditCheckpointInterval, Logger: logger}
	} else {
		logger.Warn("no audit key (CASEWORK_AUDIT_KEY): the audit trail's checkpoints are not signed")
	}
	verifier, err := auth.NewVerifier(auth.Config{Issuers: []auth.Issuer{{
		URL: cfg.OIDCIssuer, Audience: cfg.OIDCAudience, Member: cfg.Member, Claims: cfg.OIDCClaims,
	}}}, logger)
	if err != nil {
		return nil, fmt.Errorf("start casework: %w", err)
	}
	reg := httpapi.NewRegistry()
	limits, err := dir.timeLimits(ctx)
	if err != nil {
		return nil, err
	}
	svc, err := workflow.New(pool, workflow.Config{Member: cfg.Member, Corridor: corridorID, Registerer: reg,
		FollowUpEvery: limits.FollowUpEvery(), InformationResponseWithin: limits.InformationResponseWithin(),
		HandoverWithin: limits.HandoverWithin(), ClosureApproval: cfg.ClosureApproval}, dir, time.Now, logger)
	if err != nil {
		return nil, fmt.Errorf("start casework: %w", err)
	}
	handler, err := api.New(api.Config{
		Service:   svc,
		Verifier:  verifier,
		Directory: dir.src,
		Logger:    logger,
		Registry:  reg,
		Ready: []httpapi.Check{
			{Name: "database", Check: pool.Ping},
			{Name: "identity_provider", Check: verifier.Ready},
			{Name: "directory", Check: dir.ready},
		},
		Audit: pool,
	})
	if err != nil {
		return nil, fmt.Errorf("start casework: %w", err)
	}
	// The login's failures are shown as the pages' error pages, and the
	// pages sit behind the login: each needs the other.
	var site *web.Site
	loginCfg := cfg.Login.Config(weblogin.Provider{ID: string(cfg.Member), Issuer: cfg.OIDCIssuer})
	loginCfg.ErrorPage = func(w http.ResponseWriter, r *http.Request, f weblogin.Failure) {
		site.ErrorPage(w, r, f.Status())
	}
	loginCfg.OnEvent = audithttp.Sessions(pool, logger)
	login, err := weblogin.New(loginCfg, pool, verifier, logger)
	if err != nil {
		return nil, fmt.Errorf("start casework: %w", err)
	}
	csrf := func(r *http.Request) string { return weblogin.CSRFToken(r.Context()) }
	// Every page a person opens or posts, or is refused, is in the audit
	// trail, as the API's requests are.
	audited := audithttp.Middleware(audithttp.Config{DB: pool, Logger: logger})
	authenticate := func(h http.Handler) http.Handler { return audited(login.Require(audithttp.Identify(h))) }
	site, err = web.New(web.Config{Service: svc, Logger: logger, Authenticate: authenticate, CSRFToken: csrf, RelayURL: cfg.RelayURL,
		Nav: filing.Nav(), Assets: []fs.FS{filing.Assets()}})
	if err != nil {
		return nil, fmt.Errorf("start casework: %w", err)
	}
	// The inspector's filing pages check the session themselves: their
	// service worker, manifest and files are fetched before anyone signs in.
	filingPages, err := filing.New(filing.Config{UI: site.UI(), Service: svc, Directory: dir.src, Member: cfg.Member,
		Authenticate: authenticate, CSRFToken: csrf, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("start casework: %w", err)
	}
	for _, rt := range filing.Routes() {
		site.HandlePublic(rt.Method+" "+rt.Path, filingPages)
	}
	return &App{cfg: cfg, logger: logger, pool: pool, svc: svc, handler: routes(handler, login, site), checkpoints: checkpoints}, nil
}

// routes is the service's top-level mux: the JSON API (bearer tokens) and
// operational endpoints, and the pages people sign in to (sessions).
func routes(api http.Handler, login *weblogin.Manager, site *web.Site) http.Handler {
	mux := http.NewServeMux()
	for _, prefix := range []string{"/api/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(prefix, api)
	}
	// Any other path is a page nobody serves: people get the 404 page, in
	// their language, not the API's problem document.
	mux.Handle("/", site.NotFound())
	login.Routes(mux)
	site.Register(mux)
	return mux
}

// Handler is the HTTP API with its operational endpoints.
func (a *App) Handler() http.Handler { return a.handler }

// Close closes the database pool.
func (a *App) Close() { a.pool.Close() }

// Serve serves HTTP on ln and runs the inbox applier until ctx ends, then
// shuts the server down gracefully: requests in flight may finish.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	a.logger.Info("casework serving", "addr", ln.Addr().String(), "member", string(a.cfg.Member))
	err := httpapi.Serve(ctx, httpapi.NewServer(a.handler, a.logger), ln, func(ctx context.Context) error {
		var wg sync.WaitGroup
		if a.checkpoints != nil {
			wg.Go(func() { a.checkpoints.Run(ctx) })
		}
		// What the applier does is recorded in the audit trail as casework's.
		a.svc.RunApplier(audit.WithActor(ctx, auditActor), a.cfg.PollInterval)
		wg.Wait()
		return nil
	})
	a.logger.Info("casework stopped")
	return err
}

// Run starts casework from cfg and serves until ctx ends.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	a, err := New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	return a.Serve(ctx, ln)
}
