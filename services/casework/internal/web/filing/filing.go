// Package filing is the labour inspector's part of casework's web UI: the
// guided referral form, the list of sent referrals with each one's
// cross-border timeline, and what makes the form an installable web app
// that files with no signal (a web app manifest, a service worker whose
// scope is /filing/, and the script that keeps drafts encrypted in the
// browser and sends them when the phone is back online).
//
// A referral filed here goes through the same workflow service, the same
// validation and the same Idempotency-Key handling as POST
// /api/v1/referrals, so a form posted twice, or a draft the phone sends
// again after losing the answer, files once.
package filing

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// Paths the package serves. The service worker lives at Prefix+"sw.js", so
// that its scope is Prefix and it never touches the rest of the UI.
const (
	Prefix       = "/filing/"
	PathNew      = "/filing/new"
	PathSent     = "/filing/sent"
	PathStatus   = "/filing/status"
	PathSW       = "/filing/sw.js"
	PathManifest = "/filing/manifest.webmanifest"
)

// Config is what the filing pages need from the wiring.
type Config struct {
	// UI is the shared kit the pages render with. Its Assets must include
	// Assets() (the script, styles and icons), and the wiring wraps New's
	// handler with UI.Middleware like every page (language, security
	// headers, compression).
	UI      *webui.UI
	Service *workflow.Service
	// Directory is the corridor directory in force: the recipient agencies
	// and the member countries the form offers.
	Directory directory.Source
	// Member is this country.
	Member corridor.MemberCode
	// Authenticate puts the signed-in user's auth.Principal in the
	// request's context, or answers the request itself (a redirect to the
	// login page).
	Authenticate func(http.Handler) http.Handler
	// CSRFToken is the session's CSRF token, which a state-changing request
	// must echo in the X-CSRF-Token header or the csrf_token form field.
	CSRFToken func(*http.Request) string
	// Location is the zone the form's local dates and times are read in;
	// UTC when nil.
	Location *time.Location
	Logger   *slog.Logger
}

// Route is one route of the package, as the wiring mounts it.
type Route struct {
	Method string
	Path   string // a net/http pattern
}

// Routes lists what New's handler serves.
func Routes() []Route {
	var out []Route
	for _, r := range (&handler{}).routes() {
		out = append(out, r.Route)
	}
	return out
}

type handler struct {
	cfg   Config
	pages pages
	mux   *http.ServeMux
}

func (h *handler) routes() []struct {
	Route
	fn      http.HandlerFunc
	private bool // needs a signed-in user
} {
	return []struct {
		Route
		fn      http.HandlerFunc
		private bool
	}{
		{Route{http.MethodGet, PathNew}, h.form, true},
		{Route{http.MethodPost, PathNew}, h.submit, true},
		{Route{http.MethodGet, PathSent}, h.sent, true},
		{Route{http.MethodGet, PathSent + "/{id}"}, h.timeline, true},
		{Route{http.MethodGet, PathStatus}, h.status, true},
		{Route{http.MethodGet, PathSW}, h.serviceWorker, false},
		{Route{http.MethodGet, PathManifest}, h.manifest, false},
	}
}

// Nav is the filing pages' navigation, for the site's webui.Config.Nav:
// shown to the roles the workflow lets file (CheckFiler decides).
func Nav() []webui.NavItem {
	filers := []corridor.Role{corridor.RoleInspector, corridor.RoleCaseworker, corridor.RoleSupervisor}
	return []webui.NavItem{
		{Href: PathNew, Label: "filing.nav.new", Roles: filers},
		{Href: PathSent, Label: "filing.nav.sent", Roles: filers},
	}
}

// New returns the handler of the filing pages; Routes lists its routes.
// The handler checks sessions itself (Authenticate on the pages, not on
// the service worker, the manifest or the static files), so the site
// registers each route as a public one behind the kit's middleware:
//
//	site, _ := web.New(web.Config{…, Nav: filing.Nav(), Assets: []fs.FS{filing.Assets()}})
//	h, _ := filing.New(filing.Config{UI: site.UI(), …})
//	for _, rt := range filing.Routes() {
//		site.HandlePublic(rt.Method+" "+rt.Path, h)
//	}
func New(cfg Config) (http.Handler, error) {
	if cfg.UI == nil || cfg.Service == nil || cfg.Directory == nil || cfg.Authenticate == nil || cfg.CSRFToken == nil || cfg.Logger == nil || cfg.Member == "" {
		return nil, errors.New("new filing pages: UI, service, directory, member, authenticate, CSRF token and logger are required")
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	p, err := parsePages(cfg.UI)
	if err != nil {
		return nil, fmt.Errorf("new filing pages: %w", err)
	}
	h := &handler{cfg: cfg, pages: p, mux: http.NewServeMux()}
	for _, rt := range h.routes() {
		var fn http.Handler = rt.fn
		if rt.private {
			fn = cfg.Authenticate(fn)
		}
		h.mux.Handle(rt.Method+" "+rt.Path, fn)
	}
	return h.mux, nil
}

// caller is the signed-in user, as the workflow knows callers.
func caller(r *http.Request) (workflow.Caller, bool) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return workflow.Caller{}, false
	}
	return workflow.CallerOf(p), true
}

// filer returns the signed-in user if they may file referrals (the
// workflow's CheckFiler: inspectors, caseworkers and supervisors of this
// country's agencies), or answers the request with the refusal.
func (h *handler) filer(w http.ResponseWriter, r *http.Request) (workflow.Caller, bool) {
	c, ok := caller(r)
	if !ok {
		h.fail(w, r, errNoPrincipal)
		return c, false
	}
	if err := h.cfg.Service.CheckFiler(c); err != nil {
		h.fail(w, r, err)
		return c, false
	}
	return c, true
}

// checkCSRF reports whether a state-changing request echoes the session's
// CSRF token. The wiring's middleware may check it too; checking here as
// well keeps the package safe however it is mounted.
func (h *handler) checkCSRF(r *http.Request) bool {
	want := h.cfg.CSRFToken(r)
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf_token")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// wantsJSON reports whether the client is the form's script (a draft being
// sent) rather than a browser posting the form.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// maxIdempotencyKey bounds an Idempotency-Key, as the API does.
const maxIdempotencyKey = 255

// idempotencyKey is the request's key: the Idempotency-Key header the
// script sends with a draft, or the idempotency_key field the form carries
// since it was rendered. Either way a second post of the same form files
// nothing new.
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = r.PostFormValue("idempotency_key")
	}
	ok := len(key) <= maxIdempotencyKey
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if !ok {
		return "", corridor.Invalid("The Idempotency-Key is not valid.", corridor.FieldError{Field: "Idempotency-Key",
			Message: fmt.Sprintf("must be 1 to %d printable ASCII characters without spaces", maxIdempotencyKey)})
	}
	return key, nil
}

// newKey is a fresh idempotency key for a form being rendered.
func newKey() string { return "form-" + rand.Text() }

// maxForm bounds a submitted form: the document's own limits fit well
// within it.
const maxForm = 256 << 10

// submit files the referral a form posts: POST /filing/new. A browser
// without script posts the form and is redirected to the referral's
// timeline, or shown the form again with an error summary; the script
// sending a draft asks for JSON and gets the referral's id and status, or a
// problem+json naming each bad field.
func (h *handler) submit(w http.ResponseWriter, r *http.Request) {
	c, ok := h.filer(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, corridor.Errorf(corridor.KindInvalid, "the form could not be read"))
		return
	}
	if !h.checkCSRF(r) {
		h.fail(w, r, corridor.Errorf(corridor.KindForbidden, "the form's CSRF token is missing or out of date; reload the page and send it again"))
		return
	}
	key, err := idempotencyKey(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	supervisor := slices.Contains(c.Roles, corridor.RoleSupervisor)
	p, err := parseForm(r.PostForm, h.cfg.Location, supervisor)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(p.Errors) > 0 {
		// A value that could not be read is left out of the document; the
		// rest is checked too, so that one summary names every problem. The
		// recipient is checked when the form is filed.
		errs := p.Errors
		err := h.cfg.Service.Validator().Validate(r.Context(), &p.Doc, c, anyAgency{})
		var ce *corridor.Error
		if errors.As(err, &ce) && ce.Kind == corridor.KindInvalid {
			errs = append(errs, ce.Fields...)
		}
		h.invalid(w, r, c, key, corridor.Invalid("The referral has invalid fields.", errs...))
		return
	}
	ref, replayed, err := h.cfg.Service.Create(r.Context(), c, &p.Doc, "", key)
	if corridor.KindOf(err) == corridor.KindInvalid {
		h.invalid(w, r, c, key, err)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "referral filed from the web form",
		slog.String("referral_id", ref.ID), slog.Bool("replayed", replayed))
	location := PathSent + "/" + ref.ID
	if wantsJSON(r) {
		w.Header().Set("Location", location)
		h.writeJSON(w, r, http.StatusCreated, newStatusView(ref))
		return
	}
	http.Redirect(w, r, location+"?filed=1", http.StatusSeeOther)
}

// invalid answers a form the workflow refused: the form again with its
// values and an error summary, or the problem+json for the script.
func (h *handler) invalid(w http.ResponseWriter, r *http.Request, c workflow.Caller, key string, err error) {
	if wantsJSON(r) {
		h.fail(w, r, err)
		return
	}
	var ce *corridor.Error
	errors.As(err, &ce)
	if slices.ContainsFunc(ce.Fields, func(f corridor.FieldError) bool { return f.Field == "Idempotency-Key" }) {
		// The key filed other answers before: sending these is a new
		// referral, which the summary asks the person to check first.
		key = newKey()
	}
	h.renderForm(w, r, c, http.StatusUnprocessableEntity, formState{Values: r.PostForm, Key: key, Errors: ce.Fields})
}

// form shows the empty form: GET /filing/new.
func (h *handler) form(w http.ResponseWriter, r *http.Request) {
	c, ok := h.filer(w, r)
	if !ok {
		return
	}
	h.renderForm(w, r, c, http.StatusOK, formState{Key: newKey()})
}

// sentLimit is how many referrals the sent list shows: an inspector's
// recent work. Older ones are found through the API's list.
const sentLimit = 100

// sent lists the caller's agency's outgoing referrals, newest first: GET
// /filing/sent.
func (h *handler) sent(w http.ResponseWriter, r *http.Request) {
	c, ok := h.filer(w, r)
	if !ok {
		return
	}
	page, err := h.cfg.Service.List(r.Context(), c, workflow.ListFilter{
		Direction: store.Outgoing, Order: store.Newest, Limit: sentLimit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSent(w, r, page.Referrals)
}

// timeline shows one sent referral and its cross-border timeline: GET
// /filing/sent/{id}. The script asks for JSON to learn a sent draft's
// state.
func (h *handler) timeline(w http.ResponseWriter, r *http.Request) {
	c, ok := h.filer(w, r)
	if !ok {
		return
	}
	ref, err := h.cfg.Service.Get(r.Context(), c, r.PathValue("id"))
	if err == nil && ref.Side != cases.Sender {
		err = corridor.Errorf(corridor.KindNotFound, "no such sent referral")
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if wantsJSON(r) {
		h.writeJSON(w, r, http.StatusOK, newStatusView(ref))
		return
	}
	h.renderTimeline(w, r, ref)
}

// maxStatusIDs bounds one status query: the drafts a phone holds.
const maxStatusIDs = 50

// status answers the script: GET /filing/status?id=ref-…&id=ref-…, the
// state of the referrals its drafts became, and the session's current CSRF
// token, which a page served from the cache may no longer hold.
func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	c, ok := h.filer(w, r)
	if !ok {
		return
	}
	ids := r.URL.Query()["id"]
	if len(ids) > maxStatusIDs {
		h.fail(w, r, corridor.Invalid("The query has invalid parameters.",
			corridor.FieldError{Field: "id", Message: fmt.Sprintf("must be given at most %d times", maxStatusIDs)}))
		return
	}
	out := struct {
		CSRFToken string       `json:"csrf_token"`
		Referrals []statusView `json:"referrals"`
	}{CSRFToken: h.cfg.CSRFToken(r), Referrals: []statusView{}}
	for _, id := range ids {
		ref, err := h.cfg.Service.Get(r.Context(), c, id)
		if corridor.KindOf(err) == corridor.KindNotFound {
			continue
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out.Referrals = append(out.Referrals, newStatusView(ref))
	}
	h.writeJSON(w, r, http.StatusOK, out)
}

// statusView is what the script learns of a referral a draft became.
type statusView struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	// Delivered is true once the recipient country has the referral: its
	// status moved past sent, or the recipient acted on it.
	Delivered bool   `json:"delivered"`
	URL       string `json:"url"`
}

func newStatusView(ref workflow.Referral) statusView {
	return statusView{ID: ref.ID, Status: string(ref.Status), Delivered: delivered(ref), URL: PathSent + "/" + ref.ID}
}

// delivered reports whether the recipient country has the referral: the
// recipient acted on it, or the receipt came back. A referral the sender
// called off may have been called off before it arrived, so its history
// decides.
func delivered(ref workflow.Referral) bool {
	switch ref.Status {
	case cases.StatusDraft, cases.StatusSent, cases.StatusWithdrawn, cases.StatusCancelled, cases.StatusEnteredInError:
	default:
		return true
	}
	for _, e := range ref.History {
		if e.ToStatus == cases.StatusDelivered || e.ActorSide == cases.Recipient {
			return true
		}
	}
	return false
}

func (h *handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	if err := httpapi.WriteJSON(w, status, v); err != nil {
		h.cfg.Logger.LogAttrs(r.Context(), slog.LevelWarn, "write response", slog.String("error", err.Error()))
	}
}

// fail answers an error: problem+json for the script, a page for a person.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if wantsJSON(r) {
		httpapi.Error(w, r, h.cfg.Logger, err)
		return
	}
	h.cfg.UI.Fail(w, r, err)
}

// member is a country of the corridor directory.
type member = directory.Member

// agencies are the corridor's countries with the agencies that may receive
// referrals, as the API lists them (workflow.Recipients). The form offers
// those of the other countries: a referral goes across the border.
func (h *handler) agencies(ctx context.Context) ([]member, error) {
	d, err := h.cfg.Directory.Current(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the corridor directory: %w", err)
	}
	return workflow.Recipients(d, "", ""), nil
}

// anyAgency is a directory that knows every agency and offers no list of
// services: it validates a document apart from its recipient.
type anyAgency struct{}

func (anyAgency) Agency(context.Context, corridor.MemberCode, string) (referral.Agency, error) {
	return referral.Agency{}, nil
}
