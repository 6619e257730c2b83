// Package pages are the relay's web pages for the country administrator:
// the quarantine, and one quarantined message with its release and
// dismissal forms. They are server-rendered with pkg/webui and sit behind
// the login (pkg/weblogin); what a person may see and do is the relay's
// answer (MayView, MaySettle), as for its JSON API. They never show a
// message's bytes: only what it claims to be and why it was refused.
package pages

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

// Quarantine is what the pages ask of the relay.
type Quarantine interface {
	ListQuarantine(ctx context.Context, state relay.State, before int64, limit int) ([]relay.Quarantined, error)
	Quarantined(ctx context.Context, id int64) (relay.Quarantined, error)
	Release(ctx context.Context, id int64, by, note string) (relay.Quarantined, error)
	Dismiss(ctx context.Context, id int64, by, note string) (relay.Quarantined, error)
	MayView(auth.Principal) bool
	MaySettle(auth.Principal) bool
}

// Config is what the pages need from the service's wiring.
type Config struct {
	Quarantine Quarantine
	Logger     *slog.Logger
	// Authenticate lets a signed-in person through with their Principal in
	// the request context, and sends anyone else to log in.
	Authenticate func(http.Handler) http.Handler
	// CSRFToken returns the session's token, which every POST form
	// carries as csrf_token (checked by Authenticate).
	CSRFToken func(*http.Request) string
	// DefaultLanguage is offered to a browser asking for none the UI has;
	// empty means English.
	DefaultLanguage string
}

// The paths of the pages.
const (
	PathQuarantine = "/admin/quarantine"
	pageSize       = 50
)

//go:embed templates/*.html
var templates embed.FS

// Site is the relay's pages.
type Site struct {
	q      Quarantine
	ui     *webui.UI
	authn  func(http.Handler) http.Handler
	routes []route

	list, message *webui.Page
}

type route struct {
	pattern string
	h       http.Handler
}

// New builds the pages.
func New(cfg Config) (*Site, error) {
	if cfg.Quarantine == nil || cfg.Logger == nil || cfg.Authenticate == nil {
		return nil, errors.New("new relay pages: quarantine, logger and authenticate are required")
	}
	ui, err := webui.New(webui.Config{
		Logger: cfg.Logger, DefaultLanguage: cfg.DefaultLanguage, CSRFToken: cfg.CSRFToken,
		Nav: []webui.NavItem{{Href: PathQuarantine, Label: "nav.quarantine", Allow: cfg.Quarantine.MayView}},
	})
	if err != nil {
		return nil, fmt.Errorf("new relay pages: %w", err)
	}
	s := &Site{q: cfg.Quarantine, ui: ui, authn: cfg.Authenticate}
	for _, p := range []struct {
		page **webui.Page
		file string
	}{{&s.list, "templates/quarantine.html"}, {&s.message, "templates/quarantined.html"}} {
		if *p.page, err = ui.ParsePage(templates, p.file); err != nil {
			return nil, fmt.Errorf("new relay pages: %w", err)
		}
	}
	s.handle("GET /{$}", http.RedirectHandler(PathQuarantine, http.StatusSeeOther))
	s.handle("GET "+PathQuarantine, http.HandlerFunc(s.serveList))
	s.handle("GET "+PathQuarantine+"/{id}", http.HandlerFunc(s.serveMessage))
	s.handle("POST "+PathQuarantine+"/{id}/{action}", http.HandlerFunc(s.settle))
	s.routes = append(s.routes,
		route{"GET " + webui.StaticPrefix, ui.Middleware(ui.Static())},
		route{"GET " + webui.LanguagePath, ui.Middleware(ui.LanguageHandler())})
	return s, nil
}

func (s *Site) handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, route{pattern, s.ui.Middleware(s.authn(h))})
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

type listData struct {
	Items []relay.Quarantined
	// State is the filter shown ("" for every message); States the choices.
	State  string
	States []string
	Next   string
}

// serveList shows the quarantine, newest first, optionally one state.
func (s *Site) serveList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.viewer(w, r); !ok {
		return
	}
	q := r.URL.Query()
	data := &listData{State: q.Get("state")}
	for _, st := range relay.States() {
		data.States = append(data.States, string(st))
	}
	v := s.ui.NewView(r, "quarantine.title", data)
	state := relay.State(data.State)
	before, err := strconv.ParseInt(q.Get("before"), 10, 64)
	if (q.Has("before") && (err != nil || before <= 0)) || (state != "" && !slices.Contains(relay.States(), state)) {
		s.ui.Error(w, r, http.StatusBadRequest)
		return
	}
	items, err := s.q.ListQuarantine(r.Context(), state, before, pageSize)
	if err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	data.Items = items
	if len(items) == pageSize {
		next := url.Values{"before": {strconv.FormatInt(items[len(items)-1].ID, 10)}}
		if state != "" {
			next.Set("state", string(state))
		}
		data.Next = PathQuarantine + "?" + next.Encode()
	}
	s.ui.Render(w, r, http.StatusOK, s.list, v)
}

type messageData struct {
	Item      relay.Quarantined
	MaySettle bool
}

// serveMessage shows one quarantined message and, while it waits, the
// release and dismissal forms.
func (s *Site) serveMessage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.viewer(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r)
	if !ok {
		s.ui.Error(w, r, http.StatusNotFound)
		return
	}
	item, err := s.q.Quarantined(r.Context(), id)
	if err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	v := s.ui.NewView(r, "quarantined.title", &messageData{Item: item, MaySettle: s.q.MaySettle(p)})
	v.TitleArgs = []any{"ID", id}
	switch r.URL.Query().Get("done") {
	case "release":
		v.Notice = "notice.released"
		if item.State == relay.StateQuarantined {
			v.Notice = "notice.release_failed"
		}
	case "dismiss":
		v.Notice = "notice.dismissed"
	}
	s.ui.Render(w, r, http.StatusOK, s.message, v)
}

// settle serves the release and dismissal forms: POST
// /admin/quarantine/{id}/release and …/dismiss, with a reason.
func (s *Site) settle(w http.ResponseWriter, r *http.Request) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		s.ui.Error(w, r, http.StatusUnauthorized)
		return
	}
	action := relay.Action(r.PathValue("action"))
	act := map[relay.Action]func(context.Context, int64, string, string) (relay.Quarantined, error){
		relay.ActionRelease: s.q.Release, relay.ActionDismiss: s.q.Dismiss,
	}[action]
	id, ok := pathID(r)
	if act == nil || !ok {
		s.ui.Error(w, r, http.StatusNotFound)
		return
	}
	if !s.q.MaySettle(p) {
		s.ui.Error(w, r, http.StatusForbidden)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.ui.Error(w, r, http.StatusBadRequest)
		return
	}
	form := string(action)
	body := relay.SettleRequest{Reason: r.PostForm.Get(form + ".reason")}
	err := body.Check()
	if err == nil {
		_, err = act(r.Context(), id, relay.ActorOf(p), body.Reason)
	}
	if err == nil {
		http.Redirect(w, r, PathQuarantine+"/"+strconv.FormatInt(id, 10)+"?done="+form, http.StatusSeeOther)
		return
	}
	switch corridor.KindOf(err) {
	case corridor.KindInvalid, corridor.KindConflict, corridor.KindUnavailable:
		item, gerr := s.q.Quarantined(r.Context(), id)
		if gerr != nil {
			s.ui.Fail(w, r, gerr)
			return
		}
		v := s.ui.NewView(r, "quarantined.title", &messageData{Item: item, MaySettle: true})
		v.TitleArgs = []any{"ID", id}
		v.Form = r.PostForm
		v.SetFormError(err, form)
		s.ui.Render(w, r, httpapi.StatusFor(err), s.message, v)
	default:
		s.ui.Fail(w, r, err)
	}
}

// viewer returns the signed-in person if they may see the quarantine, and
// otherwise answers with the error page.
func (s *Site) viewer(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, ok := auth.FromContext(r.Context())
	switch {
	case !ok:
		s.ui.Error(w, r, http.StatusUnauthorized)
	case !s.q.MayView(p):
		s.ui.Error(w, r, http.StatusForbidden)
	default:
		return p, true
	}
	return auth.Principal{}, false
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}
