package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// defaultListLimit is the page size of a referral list when the caller does
// not say.
const defaultListLimit = 100

// Bounds of the name search: fewer than three characters would match too
// much to be a search (and no trigram can narrow it).
const (
	minNameQuery = 3
	maxNameQuery = 200
)

// urgencies are the urgency codes, most urgent first.
var urgencies = []string{"asap", "urgent", "routine"}

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
	if err := s.svc.CheckFiler(c); err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := listFilter(r.URL.Query())
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
		out.NextBefore = encodeListCursor(*page.Next)
	}
	s.write(w, r, http.StatusOK, out)
}

// listFilter reads the list's query parameters, naming every one at fault.
func listFilter(q url.Values) (workflow.ListFilter, error) {
	var f workflow.ListFilter
	var fields []corridor.FieldError
	bad := func(field, message string) {
		fields = append(fields, corridor.FieldError{Field: field, Message: message})
	}
	f.Direction = store.Direction(q.Get("direction"))
	if f.Direction != store.Outgoing && f.Direction != store.Incoming {
		bad("direction", "must be one of: outgoing, incoming")
	}
	switch sort := q.Get("sort"); sort {
	case "", string(store.Newest):
		f.Order = store.Newest
	case string(store.Urgent):
		f.Order = store.Urgent
	default:
		bad("sort", "must be one of: newest, urgent")
	}
	for _, v := range listValues(q, "status") {
		st := cases.Status(v)
		if !st.Valid() {
			bad("status", "must be statuses from the Status list, comma-separated or repeated")
			break
		}
		if !slices.Contains(f.Statuses, st) {
			f.Statuses = append(f.Statuses, st)
		}
	}
	for _, v := range listValues(q, "urgency") {
		if !slices.Contains(urgencies, v) {
			bad("urgency", "must be among: asap, urgent, routine, comma-separated or repeated")
			break
		}
		if !slices.Contains(f.Urgencies, v) {
			f.Urgencies = append(f.Urgencies, v)
		}
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		bad("overdue", "must be true or false")
	}
	if v := q.Get("case_ref"); v != "" {
		if !corridor.IsCode(v) {
			bad("case_ref", "must be a case reference")
		}
		f.CaseRef = v
	}
	if v, ok := q["q"]; ok {
		name := strings.Join(strings.Fields(strings.Join(v, " ")), " ")
		if n := utf8.RuneCountInString(name); n < minNameQuery || n > maxNameQuery || !utf8.ValidString(name) || !printable(name) {
			bad("q", "must be "+strconv.Itoa(minNameQuery)+" to "+strconv.Itoa(maxNameQuery)+" printable characters of a name")
		}
		f.Name = name
	}
	switch q.Get("assigned") {
	case "":
	case "me":
		f.AssignedToMe = true
	case "none":
		f.Unassigned = true
	default:
		bad("assigned", "must be one of: me, none")
	}
	limit, lf := httpapi.LimitParam(q, defaultListLimit, workflow.MaxListLimit)
	fields = append(fields, lf...)
	f.Limit = limit
	if v := q.Get("before"); v != "" && f.Order != "" {
		cur, ok := decodeListCursor(v, f.Order)
		if !ok {
			bad("before", "must be the next_before of an earlier page in the same sort")
		} else {
			f.Before = &cur
		}
	}
	if len(fields) > 0 {
		return workflow.ListFilter{}, corridor.Invalid("The query has invalid parameters.", fields...)
	}
	return f, nil
}

// listValues are the values of a parameter that may be repeated and
// comma-separated (status=delivered,accepted&status=in_care).
func listValues(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		out = append(out, strings.Split(v, ",")...)
	}
	return out
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// encodeListCursor makes the before= value of a page boundary: the order's
// name, its keys, then the id, which breaks ties.
func encodeListCursor(c store.Cursor) string {
	if c.Order == store.Urgent {
		return httpapi.PackCursor(string(c.Order), strconv.Itoa(c.UrgencyRank), httpapi.FormatMicros(c.DecisionDueAt), c.ID)
	}
	return httpapi.PackCursor(string(c.Order), httpapi.FormatMicros(c.CreatedAt), c.ID)
}

// decodeListCursor reads what encodeListCursor made for order, and refuses
// anything else: a cursor of the other order would start the page at the
// wrong place.
func decodeListCursor(s string, order store.Order) (store.Cursor, bool) {
	n := 3
	if order == store.Urgent {
		n = 4
	}
	keys, ok := httpapi.UnpackCursor(s, n)
	if !ok || keys[0] != string(order) || !corridor.IsCode(keys[n-1]) {
		return store.Cursor{}, false
	}
	c := store.Cursor{Order: order, ID: keys[n-1]}
	if order == store.Newest {
		c.CreatedAt, ok = httpapi.ParseMicros(keys[1])
		return c, ok
	}
	rank, err := strconv.Atoi(keys[1])
	if err != nil || rank < 0 || rank > 3 {
		return store.Cursor{}, false
	}
	c.UrgencyRank = rank
	c.DecisionDueAt, ok = httpapi.ParseMicros(keys[2])
	return c, ok
}

// assignRequest is the body of assign: {"assignee": "<user id>"}, or
// {"assignee": null} to unassign.
type assignRequest struct {
	// Assignee is kept raw to tell null (unassign) from absent (a mistake).
	Assignee json.RawMessage `json:"assignee"`
}

// assignee is the user assigned: the subject of its tokens. OpenID Connect
// subjects are at most 255 ASCII characters.
type assignee struct {
	Assignee string `json:"assignee" validate:"required,max=255,printascii"`
}

// user returns the user req assigns, "" to unassign, or a KindInvalid
// error naming assignee.
func (req assignRequest) user(s *server) (string, error) {
	switch string(req.Assignee) {
	case "":
		return "", corridor.Invalid("The request has invalid fields.", corridor.FieldError{Field: "assignee", Message: "is required (null to unassign)"})
	case "null":
		return "", nil
	}
	var a assignee
	if err := json.Unmarshal(req.Assignee, &a.Assignee); err != nil {
		return "", corridor.Invalid("The request has invalid fields.", corridor.FieldError{Field: "assignee", Message: "must be a user id (a string) or null"})
	}
	if err := s.svc.Validator().Struct(&a); err != nil {
		return "", err
	}
	return a.Assignee, nil
}

// assign answers POST /api/v1/referrals/{id}/assign (supervisors of the
// agency holding the referral).
func (s *server) assign(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.svc.CheckSupervisor(c); err != nil {
		s.fail(w, r, err)
		return
	}
	var req assignRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	user, err := req.user(s)
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
