package web

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// Config is what the pages need from the service's wiring.
type Config struct {
	// DB is the coordinator's database.
	DB        coordinator.DB
	Directory directory.Source
	Logger    *slog.Logger
	// Authenticate lets a signed-in person through with their Principal in
	// the request context (auth.FromContext), and sends anyone else to log
	// in (weblogin.Manager.Require).
	Authenticate func(http.Handler) http.Handler
	// CSRFToken returns the token of the person's session for the sign-out
	// form.
	CSRFToken func(*http.Request) string
	// DefaultLanguage is the language of a browser asking for none the UI
	// has ("fr"); empty means English.
	DefaultLanguage string
	// OutOfContactAfter is how long without an event before a member is
	// flagged (the API's threshold).
	OutOfContactAfter time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// The paths of the pages.
const (
	pathCases      = "/cases"
	pathOverdue    = "/overdue"
	pathMembers    = "/members"
	pathIndicators = "/indicators"
	pathTargets    = "/targets"
	pathReport     = "/report"
)

// mayView is the policy's answer to whether p may see the coordinator's
// views: the pages ask it as the API does.
func mayView(p auth.Principal) bool {
	return policy.Allowed(p.Roles, policy.ViewCoordinator, policy.NoCase)
}

// nav is the coordinator's navigation; every entry is for those who may
// see the coordinator's views.
var nav = []webui.NavItem{
	{Href: pathCases, Label: "coord.nav.cases", Allow: mayView},
	{Href: pathOverdue, Label: "coord.nav.overdue", Allow: mayView},
	{Href: pathMembers, Label: "coord.nav.members", Allow: mayView},
	{Href: pathIndicators, Label: "coord.nav.indicators", Allow: mayView},
	{Href: pathTargets, Label: "coord.nav.targets", Allow: mayView},
	{Href: pathReport, Label: "coord.nav.report", Allow: mayView},
}

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Site is the coordinator's pages.
type Site struct {
	cfg    Config
	ui     *webui.UI
	routes []route

	cases, casePage, overdue, members, indicators, targets, report *webui.Page
}

type route struct {
	pattern string
	h       http.Handler
}

// New builds the pages.
func New(cfg Config) (*Site, error) {
	if cfg.DB == nil || cfg.Directory == nil || cfg.Logger == nil || cfg.Authenticate == nil {
		return nil, errors.New("new coordinator pages: database, directory, logger and authenticate are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OutOfContactAfter <= 0 {
		cfg.OutOfContactAfter = 72 * time.Hour
	}
	assets, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("new coordinator pages: %w", err)
	}
	ui, err := webui.New(webui.Config{
		Logger: cfg.Logger, DefaultLanguage: cfg.DefaultLanguage, Nav: nav, CSRFToken: cfg.CSRFToken,
		Assets: []fs.FS{assets},
	})
	if err != nil {
		return nil, fmt.Errorf("new coordinator pages: %w", err)
	}
	s := &Site{cfg: cfg, ui: ui}
	for _, p := range []struct {
		page **webui.Page
		file string
	}{
		{&s.cases, "templates/cases.html"}, {&s.casePage, "templates/case.html"},
		{&s.overdue, "templates/overdue.html"}, {&s.members, "templates/members.html"},
		{&s.indicators, "templates/indicators.html"}, {&s.targets, "templates/targets.html"},
		{&s.report, "templates/report.html"},
	} {
		if *p.page, err = ui.ParsePage(templates, p.file, "templates/parts.html"); err != nil {
			return nil, fmt.Errorf("new coordinator pages: %w", err)
		}
	}
	s.handle("GET /{$}", http.RedirectHandler(pathCases, http.StatusSeeOther))
	s.handle("GET "+pathCases, http.HandlerFunc(s.serveCases))
	s.handle("GET "+pathCases+".csv", http.HandlerFunc(s.exportCases))
	s.handle("GET "+pathCases+"/{case_ref}", http.HandlerFunc(s.serveCase))
	s.handle("GET "+pathOverdue, http.HandlerFunc(s.serveOverdue))
	s.handle("GET "+pathOverdue+".csv", http.HandlerFunc(s.exportOverdue))
	s.handle("GET "+pathMembers, http.HandlerFunc(s.serveMembers))
	s.handle("GET "+pathIndicators, http.HandlerFunc(s.serveIndicators))
	s.handle("GET "+pathIndicators+".csv", http.HandlerFunc(s.exportIndicators))
	s.handle("GET "+pathTargets, http.HandlerFunc(s.serveTargets))
	s.handle("GET "+pathReport, http.HandlerFunc(s.serveReport))
	s.routes = append(s.routes,
		route{"GET " + webui.StaticPrefix, ui.Middleware(ui.Static())},
		route{"GET " + webui.LanguagePath, ui.Middleware(ui.LanguageHandler())})
	return s, nil
}

// handle adds a page for coordinators at pattern: behind the kit's
// middleware, Authenticate, and the policy's ViewCoordinator (the
// coordinator role), which anyone else is refused with the 403 page.
func (s *Site) handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, route{pattern, s.ui.Middleware(s.cfg.Authenticate(s.coordinatorsOnly(h)))})
}

func (s *Site) coordinatorsOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := auth.FromContext(r.Context())
		if !ok {
			s.ui.Error(w, r, http.StatusUnauthorized)
			return
		}
		if !mayView(p) {
			s.ui.Error(w, r, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Register registers every page on mux.
func (s *Site) Register(mux httpapi.Router) {
	for _, rt := range s.routes {
		mux.Handle(rt.pattern, rt.h)
	}
}

// ErrorPage renders the error page of status in the person's language, for
// the login's failures (weblogin.Config.ErrorPage).
func (s *Site) ErrorPage(w http.ResponseWriter, r *http.Request, status int) {
	s.ui.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ui.Error(w, r, status)
	})).ServeHTTP(w, r)
}

// NotFound is the 404 page, for the paths no route serves.
func (s *Site) NotFound() http.Handler { return s.ui.Middleware(s.ui.NotFound()) }

// unavailable is a database failure as the pages show it: the 503 page.
func unavailable(err error) error {
	return &corridor.Error{Kind: corridor.KindUnavailable, Message: "The coordinator's database cannot be read.", Err: err}
}
