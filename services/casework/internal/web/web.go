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
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// Config is what the pages need from the service's wiring.
type Config struct {
	Service *workflow.Service
	Logger  *slog.Logger
	// Authenticate lets a signed-in person through with their Principal in
	// the request context (auth.FromContext), and sends anyone else to log
	// in.
	Authenticate func(http.Handler) http.Handler
	// CSRFToken returns the token of the person's session, which every POST
	// form carries as csrf_token (checked by whoever checks sessions).
	CSRFToken func(*http.Request) string
	// DefaultLanguage is the language of a browser asking for none the UI
	// has ("fr"); empty means English.
	DefaultLanguage string
	// Nav and Assets are the navigation entries and static files of the
	// sections mounted with Handle (the inspector's filing pages).
	Nav    []webui.NavItem
	Assets []fs.FS
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RelayURL, when set, is the member's relay, whose quarantine page the
	// failed-messages page links to.
	RelayURL string
}

// The paths of the pages.
const (
	pathHome     = "/"
	pathInbox    = "/inbox"
	pathCases    = "/cases/"
	pathOverview = "/overview"
	pathMessages = "/admin/messages"
)

// nav is the casework pages' navigation: an entry shows when the policy
// lets the person do what its page is for. The workflow service still
// decides, on each request, what they may actually see and do.
var nav = []webui.NavItem{
	{Href: pathInbox, Label: "nav.inbox", Roles: []corridor.Role{corridor.RoleCaseworker, corridor.RoleSupervisor}},
	{Href: pathOverview, Label: "nav.overview", Allow: allowedTo(policy.OverseeAgency)},
	{Href: pathMessages, Label: "nav.messages", Allow: allowedTo(policy.ViewFailedMessages)},
}

// allowedTo is a nav entry's test: may the person do a, which is done to no case.
func allowedTo(a policy.Action) func(auth.Principal) bool {
	return func(p auth.Principal) bool { return policy.Allowed(p.Roles, a, policy.NoCase) }
}

//go:embed templates/*.html
var templates embed.FS

// Site is casework's pages.
type Site struct {
	svc    *workflow.Service
	logger *slog.Logger
	ui     *webui.UI
	authn  func(http.Handler) http.Handler
	now    func() time.Time
	relay  string
	routes []route

	home, inbox, casePage, overview, messages *webui.Page
}

type route struct {
	pattern string
	h       http.Handler
}

// New builds the pages.
func New(cfg Config) (*Site, error) {
	if cfg.Service == nil || cfg.Logger == nil || cfg.Authenticate == nil {
		return nil, errors.New("new web pages: service, logger and authenticate are required")
	}
	ui, err := webui.New(webui.Config{
		Logger: cfg.Logger, DefaultLanguage: cfg.DefaultLanguage, Assets: cfg.Assets,
		Nav: append(append([]webui.NavItem(nil), nav...), cfg.Nav...), CSRFToken: cfg.CSRFToken,
	})
	if err != nil {
		return nil, fmt.Errorf("new web pages: %w", err)
	}
	s := &Site{svc: cfg.Service, logger: cfg.Logger, ui: ui, authn: cfg.Authenticate, now: cfg.Now, relay: cfg.RelayURL}
	if s.now == nil {
		s.now = time.Now
	}
	for _, p := range []struct {
		page **webui.Page
		file string
	}{
		{&s.home, "templates/home.html"}, {&s.inbox, "templates/inbox.html"}, {&s.casePage, "templates/case.html"},
		{&s.overview, "templates/overview.html"}, {&s.messages, "templates/messages.html"},
	} {
		if *p.page, err = ui.ParsePage(templates, p.file, "templates/parts.html"); err != nil {
			return nil, fmt.Errorf("new web pages: %w", err)
		}
	}
	s.Handle("GET /{$}", http.HandlerFunc(s.serveHome))
	s.Handle("GET "+pathInbox, http.HandlerFunc(s.serveInbox))
	s.Handle("GET "+pathCases+"{id}", http.HandlerFunc(s.serveCase))
	s.Handle("POST "+pathCases+"{id}/events/{event}", http.HandlerFunc(s.act))
	s.Handle("POST "+pathCases+"{id}/assign", http.HandlerFunc(s.assign))
	s.Handle("GET "+pathOverview, http.HandlerFunc(s.serveOverview))
	s.Handle("GET "+pathMessages, http.HandlerFunc(s.serveMessages))
	s.Handle("POST "+pathMessages+"/{message_id}/retry", http.HandlerFunc(s.retry))
	s.HandlePublic("GET "+webui.StaticPrefix, ui.Static())
	s.HandlePublic("GET "+webui.LanguagePath, ui.LanguageHandler())
	return s, nil
}

// UI is the kit the pages render with, for the sections mounted with
// Handle to render with the same layout, languages and navigation.
func (s *Site) UI() *webui.UI { return s.ui }

// Handle adds a page for signed-in people at pattern (a net/http pattern
// such as "GET /referrals/new"), behind Authenticate and the kit's
// middleware: how the inspector's filing pages join the site. Call it
// before Register.
func (s *Site) Handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, route{pattern, s.ui.Middleware(s.authn(h))})
}

// HandlePublic adds a route that needs no login (static files, a web-app
// manifest), behind the kit's middleware only.
func (s *Site) HandlePublic(pattern string, h http.Handler) {
	s.routes = append(s.routes, route{pattern, s.ui.Middleware(h)})
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

// caller is the signed-in person as the workflow service knows callers.
// Authenticate put the principal there; without one the page fails closed.
func (s *Site) caller(r *http.Request) (workflow.Caller, bool) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return workflow.Caller{}, false
	}
	return workflow.CallerOf(p), true
}
