package webui

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
)

// Config configures a UI.
type Config struct {
	// Logger receives the errors behind 500 pages; nil discards them.
	Logger *slog.Logger
	// AppName is shown in the header and titles ("Corridor").
	AppName string
	// DefaultLanguage is offered when the browser asks for nothing the UI
	// has; empty means English.
	DefaultLanguage string
	// Locales overrides the embedded message files (tests; a deployment
	// adding languages without a rebuild). Each file is <tag>.json.
	Locales fs.FS
	// Assets are more static files, served under StaticPrefix beside the
	// kit's own (a page's scripts, icons, a web-app manifest). A name the
	// kit already has is an error.
	Assets []fs.FS
	// Nav lists the navigation entries; each page shows those the signed-in
	// person's roles allow, in this order.
	Nav []NavItem
	// CSRFToken returns the token a POST form must carry as csrf_token; nil
	// renders none (a test without sessions).
	CSRFToken func(*http.Request) string
}

// NavItem is one navigation entry.
type NavItem struct {
	// Href is the entry's path ("/inbox").
	Href string
	// Label is the message id of its text ("nav.inbox").
	Label string
	// Roles may see the entry; empty means every signed-in person.
	Roles []corridor.Role
	// Allow, when set, decides instead of Roles (a policy's answer).
	Allow func(auth.Principal) bool
}

// UI renders pages. It is safe for concurrent use.
type UI struct {
	logger    *slog.Logger
	appName   string
	bundle    *i18n.Bundle
	languages []Language
	matcher   language.Matcher
	assets    *assets
	base      *template.Template
	errorPage *Page
	nav       []NavItem
	csrf      func(*http.Request) string
}

// New builds a UI: it loads the message files, hashes the static files and
// parses the layout.
func New(cfg Config) (*UI, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AppName == "" {
		cfg.AppName = "Corridor"
	}
	u := &UI{logger: logger, appName: cfg.AppName, nav: cfg.Nav, csrf: cfg.CSRFToken}
	locales := cfg.Locales
	if locales == nil {
		sub, err := fs.Sub(embedded, "locales")
		if err != nil {
			return nil, fmt.Errorf("build ui: %w", err)
		}
		locales = sub
	}
	if err := u.loadLanguages(locales, cfg.DefaultLanguage); err != nil {
		return nil, fmt.Errorf("build ui: %w", err)
	}
	staticFS, err := fs.Sub(embedded, "static")
	if err != nil {
		return nil, fmt.Errorf("build ui: %w", err)
	}
	if u.assets, err = newAssets(append([]fs.FS{staticFS}, cfg.Assets...)...); err != nil {
		return nil, fmt.Errorf("build ui: %w", err)
	}
	if u.base, err = template.New("").Funcs(funcs).ParseFS(embedded, "templates/*.html"); err != nil {
		return nil, fmt.Errorf("build ui: parse layout: %w", err)
	}
	if u.errorPage, err = u.ParsePage(embedded, "pages/error.html"); err != nil {
		return nil, fmt.Errorf("build ui: %w", err)
	}
	return u, nil
}

// Languages returns the languages the UI speaks, the default first.
func (u *UI) Languages() []Language { return append([]Language(nil), u.languages...) }

var errNoLanguages = errors.New("no message files")
