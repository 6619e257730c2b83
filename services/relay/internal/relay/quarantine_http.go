package relay

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/corridor-org/corridor/pkg/audit/audithttp"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/pkg/validation"
)

// quarantineRoutes registers what a country administrator does with one
// quarantined message: GET /api/v1/quarantine/{id}, and POST …/release and
// …/dismiss, each with a reason.
// Each is audited as the list is.
func (r *Relay) quarantineRoutes(mux *httpapi.Mux, audited func(http.Handler) http.Handler) {
	guard := func(h http.Handler) http.Handler {
		return audited(auth.RequireAuth(r.cfg.Verifier, audithttp.Identify(h)))
	}
	mux.Handle("GET /api/v1/quarantine/{id}", guard(http.HandlerFunc(r.handleQuarantined)))
	mux.Handle("POST /api/v1/quarantine/{id}/release", guard(r.settleHandler(r.Release)))
	mux.Handle("POST /api/v1/quarantine/{id}/dismiss", guard(r.settleHandler(r.Dismiss)))
}

// MayView reports whether p may see this relay's quarantine, as the policy
// says (a country administrator, or a machine client watching it), of its
// own member.
func (r *Relay) MayView(p auth.Principal) bool {
	return policy.Allowed(p.Roles, policy.ViewFailedMessages, policy.NoCase) && p.Country == r.me
}

func (r *Relay) forbiddenView() error {
	return corridor.Errorf(corridor.KindForbidden, "Reading the quarantine needs the admin or service role of %s.", r.me)
}

// MaySettle reports whether p may release and dismiss this relay's
// quarantined messages, as the policy says: a country administrator of its
// own member only. Machine clients may watch the quarantine, never settle
// it: a person answers for each release.
func (r *Relay) MaySettle(p auth.Principal) bool {
	return policy.Allowed(p.Roles, policy.RetryFailedMessages, policy.NoCase) && p.Country == r.me
}

// SettleRequest is the body of a release or a dismissal.
type SettleRequest struct {
	// Reason says why, for whoever reads the quarantine later: what
	// changed (a key added to the directory), or why the message is
	// closed. It must not name a person the message is about.
	Reason string `json:"reason" validate:"required,max=1000"`
}

// Check trims and validates the request.
func (s *SettleRequest) Check() error {
	s.Reason = strings.TrimSpace(s.Reason)
	v, err := validation.Default()
	if err != nil {
		return err
	}
	return v.Check("The request is not valid.", s)
}

// ActorOf names who acted, for a settled row: the person's username, or
// their subject (or a client's id) when the provider sends none.
func ActorOf(p auth.Principal) string {
	for _, s := range []string{p.Username, p.Subject, p.ClientID} {
		if s != "" {
			return s
		}
	}
	return "unknown"
}

func (r *Relay) handleQuarantined(w http.ResponseWriter, req *http.Request) {
	p, _ := auth.FromContext(req.Context())
	if !r.MayView(p) {
		httpapi.Error(w, req, r.logger, r.forbiddenView())
		return
	}
	id, err := quarantineID(req)
	if err != nil {
		httpapi.Error(w, req, r.logger, err)
		return
	}
	q, err := r.Quarantined(req.Context(), id)
	if err != nil {
		httpapi.Error(w, req, r.logger, err)
		return
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, q)
}

// settleHandler serves a release or a dismissal with act.
func (r *Relay) settleHandler(act func(ctx context.Context, id int64, by, note string) (Quarantined, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p, _ := auth.FromContext(req.Context())
		if !r.MaySettle(p) {
			httpapi.Error(w, req, r.logger, corridor.Errorf(corridor.KindForbidden,
				"Releasing or dismissing a quarantined message needs the admin role of %s.", r.me))
			return
		}
		id, err := quarantineID(req)
		if err != nil {
			httpapi.Error(w, req, r.logger, err)
			return
		}
		var body SettleRequest
		if err := httpapi.DecodeJSON(req, &body); err != nil {
			httpapi.Error(w, req, r.logger, err)
			return
		}
		if err := body.Check(); err != nil {
			httpapi.Error(w, req, r.logger, err)
			return
		}
		q, err := act(req.Context(), id, ActorOf(p), body.Reason)
		if err != nil {
			httpapi.Error(w, req, r.logger, err)
			return
		}
		_ = httpapi.WriteJSON(w, http.StatusOK, q)
	})
}

func quarantineID(req *http.Request) (int64, error) {
	id, err := strconv.ParseInt(req.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, corridor.Invalid("Invalid quarantine id.", corridor.FieldError{
			Field: "id", Message: "must be a positive whole number", Rule: "number"})
	}
	return id, nil
}

// listParams reads a quarantine list's limit, before and state.
func listParams(req *http.Request) (limit int, before int64, state State, err error) {
	q := req.URL.Query()
	limit, fields := httpapi.LimitParam(q, defaultListLimit, maxListLimit)
	before, bad := httpapi.BeforeIDParam(q)
	fields = append(fields, bad...)
	state = State(q.Get("state"))
	if state != "" && !slices.Contains(States(), state) {
		fields = append(fields, corridor.FieldError{Field: "state", Rule: "oneof",
			Message: "must be one of quarantined, released, dismissed", Param: "quarantined released dismissed"})
	}
	if len(fields) > 0 {
		return 0, 0, "", corridor.Invalid("Invalid query parameters.", fields...)
	}
	return limit, before, state, nil
}
