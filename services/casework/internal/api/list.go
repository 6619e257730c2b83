package api

import (
	"encoding/json"
	"net/http"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/services/casework/internal/query"
)

// referralList is a page of a referral list.
type referralList struct {
	Items []summaryView `json:"items"`
	// NextBefore, set when more referrals follow, is the before= value of
	// the next page.
	NextBefore string `json:"next_before,omitempty"`
}

// list answers GET /api/v1/referrals?direction=outgoing|incoming and its
// filters: a page of the caller's agency's referrals, newest or most urgent
// first.
func (s *server) list(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The role first: a caller who may not list learns nothing of the
	// parameters.
	if err := s.svc.Authorize(c, policy.ListWork); err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := query.ListFilter(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.svc.List(r.Context(), c, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := referralList{Items: make([]summaryView, 0, len(page.Referrals))}
	for _, ref := range page.Referrals {
		out.Items = append(out.Items, newSummaryView(ref))
	}
	if page.Next != nil {
		out.NextBefore = query.EncodeListCursor(*page.Next)
	}
	s.write(w, r, http.StatusOK, out)
}

// assignRequest is the body of assign: {"assignee": "<user id>"}, or
// {"assignee": null} to unassign.
type assignRequest struct {
	// Assignee is kept raw to tell null (unassign) from absent (a mistake).
	Assignee json.RawMessage `json:"assignee"`
}

// user returns the user req assigns, "" to unassign, or a KindInvalid
// error naming assignee.
func (req assignRequest) user() (string, error) {
	switch string(req.Assignee) {
	case "":
		return "", corridor.Invalid("The request has invalid fields.", corridor.FieldError{Field: "assignee", Message: "is required (null to unassign)"})
	case "null":
		return "", nil
	}
	// workflow.Assign checks what the string holds; an empty one would
	// unassign, which the API spells null.
	var user string
	if err := json.Unmarshal(req.Assignee, &user); err != nil {
		return "", corridor.Invalid("The request has invalid fields.", corridor.FieldError{Field: "assignee", Message: "must be a user id (a string) or null"})
	}
	if user == "" {
		return "", corridor.Invalid("The request has invalid fields.", corridor.FieldError{Field: "assignee", Message: "is required (null to unassign)", Rule: "required"})
	}
	return user, nil
}

// assign answers POST /api/v1/referrals/{id}/assign (supervisors of the
// agency holding the referral).
func (s *server) assign(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.Authorize(c, policy.AssignCase); err != nil {
		s.fail(w, r, err)
		return
	}
	var req assignRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	user, err := req.user()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ref, err := s.svc.Assign(r.Context(), c, r.PathValue("id"), user)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.write(w, r, http.StatusOK, newReferralView(ref))
}
