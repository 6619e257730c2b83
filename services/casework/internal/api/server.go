package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/audit/audithttp"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// Config is what the API needs.
type Config struct {
	Service  *workflow.Service
	Verifier *auth.Verifier
	// Directory is the corridor directory in force, for the agency list.
	Directory directory.Source
	Logger    *slog.Logger
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	// Ready are the readiness checks of /readyz.
	Ready []httpapi.Check
	// Audit is the database of the audit trail, in which every request
	// to the API is recorded (package audithttp).
	Audit audit.Beginner
}

// Route is one operation of the API, as the OpenAPI document lists it.
type Route struct {
	Method string
	Path   string // an OpenAPI path template, which is also a net/http pattern
}

// server holds the handlers' dependencies.
type server struct {
	svc    *workflow.Service
	dir    directory.Source
	logger *slog.Logger
}

// routes is the API, in one table so that the OpenAPI test can check the
// document against what is actually served.
func (s *server) routes() []struct {
	Route
	handler http.HandlerFunc
} {
	routes := []struct {
		Route
		handler http.HandlerFunc
	}{
		{Route{http.MethodPost, "/api/v1/referrals"}, s.create},
		{Route{http.MethodGet, "/api/v1/referrals"}, s.list},
		{Route{http.MethodGet, "/api/v1/referrals/{id}"}, s.get},
		{Route{http.MethodGet, "/api/v1/agencies"}, s.agencies},
		// Not a state event: this exact path wins over any /{id}/{event} pattern.
		{Route{http.MethodPost, "/api/v1/referrals/{id}/assign"}, s.assign},
		{Route{http.MethodPost, "/api/v1/referrals/{id}/approve_closure"}, s.decideClosure(true)},
		{Route{http.MethodPost, "/api/v1/referrals/{id}/reject_closure"}, s.decideClosure(false)},
		{Route{http.MethodGet, "/api/v1/inbox/failed"}, s.failedInbox},
		{Route{http.MethodPost, "/api/v1/inbox/failed/{message_id}/retry"}, s.retryFailed},
	}
	// Every event a user may cause, at the path its name spells.
	for _, ev := range cases.Events() {
		if offered(ev) {
			routes = append(routes, struct {
				Route
				handler http.HandlerFunc
			}{Route{http.MethodPost, "/api/v1/referrals/{id}/" + string(ev)}, s.event(ev)})
		}
	}
	return routes
}

// Routes returns the API's operations (not the operational endpoints
// /healthz, /readyz and /metrics).
func Routes() []Route {
	var out []Route
	for _, r := range (&server{}).routes() {
		out = append(out, r.Route)
	}
	return out
}

// New returns the service's HTTP handler: the API behind bearer-token
// authentication, the operational endpoints, and the shared middleware.
func New(cfg Config) (http.Handler, error) {
	if cfg.Service == nil || cfg.Verifier == nil || cfg.Directory == nil || cfg.Logger == nil || cfg.Registry == nil || cfg.Audit == nil {
		return nil, errors.New("new api: service, verifier, directory, logger, registry and audit are required")
	}
	metrics, err := httpapi.NewMetrics(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("new api: %w", err)
	}
	s := &server{svc: cfg.Service, dir: cfg.Directory, logger: cfg.Logger}
	mux := httpapi.NewMux(cfg.Logger)
	httpapi.HandleOps(mux, cfg.Logger, cfg.Registry, cfg.Ready...)
	// Every request to the API is in the audit trail, the refused ones
	// (401 included) too; Identify names the caller once authenticated.
	audited := audithttp.Middleware(audithttp.Config{DB: cfg.Audit, Logger: cfg.Logger})
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Path, audited(auth.RequireAuth(cfg.Verifier, audithttp.Identify(rt.handler))))
	}
	return httpapi.Middleware(cfg.Logger, metrics, mux), nil
}

// caller is the verified user RequireAuth put in the request's context.
func caller(r *http.Request) (workflow.Caller, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return workflow.Caller{}, errors.New("no principal in the request context")
	}
	return workflow.CallerOf(p), nil
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, s.logger, err)
}

func (s *server) write(w http.ResponseWriter, r *http.Request, status int, v any) {
	if err := httpapi.WriteJSON(w, status, v); err != nil {
		s.logger.LogAttrs(r.Context(), slog.LevelWarn, "write response",
			slog.String("request_id", httpapi.RequestIDFromContext(r.Context())), slog.String("error", err.Error()))
	}
}

// create files and sends a referral: POST /api/v1/referrals.
func (s *server) create(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The role is checked before the body is read, so that a caller who may
	// not file learns nothing about what a valid referral looks like.
	if err := s.svc.CheckFiler(c); err != nil {
		s.fail(w, r, err)
		return
	}
	key, err := idempotencyKey(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req createRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ref, _, err := s.svc.Create(r.Context(), c, &req.Document, req.PreviousReferralID, key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/referrals/"+ref.ID)
	s.write(w, r, http.StatusCreated, newReferralView(ref))
}

// createRequest is the body of create: a referral document and, for a
// re-referral, the declined or withdrawn referral it follows.
type createRequest struct {
	referral.Document
	PreviousReferralID string `json:"previous_referral_id,omitempty"`
}

// get answers GET /api/v1/referrals/{id}.
func (s *server) get(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ref, err := s.svc.Get(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.write(w, r, http.StatusOK, newReferralView(ref))
}

// optionalBody are the events whose body may be left out: an empty body
// is a valid one.
var optionalBody = map[cases.Event]bool{cases.EventAccept: true, cases.EventWithdraw: true, cases.EventResume: true}

// event returns the handler of POST /api/v1/referrals/{id}/{ev}: it
// decodes and validates the event's body, then causes the event.
func (s *server) event(ev cases.Event) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := caller(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.svc.Authorize(c, policy.ActOnCase); err != nil {
			s.fail(w, r, err)
			return
		}
		key, err := idempotencyKey(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		body, ok := events.New(ev)
		if !ok {
			s.fail(w, r, fmt.Errorf("no body for event %s", ev))
			return
		}
		if !optionalBody[ev] || hasBody(r) {
			if err := httpapi.DecodeJSON(r, body); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		ref, _, err := s.svc.Act(r.Context(), c, r.PathValue("id"), body, key)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status := http.StatusOK
		if ev == cases.EventClose && ref.Status != cases.StatusClosed && ref.Closure != nil {
			// Kept for a supervisor's approval: nothing happened yet.
			status = http.StatusAccepted
		}
		s.write(w, r, status, newReferralView(ref))
	}
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// idempotencyKey returns the request's Idempotency-Key header, "" when
// there is none: printable ASCII, at most maxIdempotencyKey characters
// (a UUID, say). A retry with the same key and body is answered as the
// first request was, with the referral as it now stands, and changes
// nothing.
func idempotencyKey(r *http.Request) (string, error) {
	values := r.Header.Values("Idempotency-Key")
	if len(values) == 0 {
		return "", nil
	}
	key := values[0]
	ok := len(values) == 1 && key != "" && len(key) <= maxIdempotencyKey
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if !ok {
		return "", corridor.Invalid("The Idempotency-Key header is not valid.", corridor.FieldError{Field: "Idempotency-Key",
			Message: fmt.Sprintf("must be one value of 1 to %d printable ASCII characters without spaces", maxIdempotencyKey)})
	}
	return key, nil
}

// hasBody reports whether the client sent a body at all.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || len(r.TransferEncoding) > 0
}

// decideClosure returns the handler of POST
// /api/v1/referrals/{id}/approve_closure (approve true) and
// .../reject_closure: a supervisor of the agency decides on the closing a
// caseworker asked for. The body is empty, or an empty object.
func (s *server) decideClosure(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := caller(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.svc.Authorize(c, policy.ApproveClosure); err != nil {
			s.fail(w, r, err)
			return
		}
		if hasBody(r) {
			// None is needed; one given must be an empty object.
			var none struct{}
			if err := httpapi.DecodeJSON(r, &none); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		decide := s.svc.RejectClosure
		if approve {
			decide = s.svc.ApproveClosure
		}
		ref, err := decide(r.Context(), c, r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.write(w, r, http.StatusOK, newReferralView(ref))
	}
}
