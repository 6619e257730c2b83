package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/casework/internal/query"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// maxForm bounds a posted form: the longest action form is a few dozen
// fields of at most 4,000 characters.
const maxForm = 256 << 10

// inboxPageSize is how many referrals a page of the inbox shows: a phone's
// screenful or two on a slow link.
const inboxPageSize = 25

// serveHome is the landing page: where each of the person's roles works.
func (s *Site) serveHome(w http.ResponseWriter, r *http.Request) {
	s.ui.Render(w, r, http.StatusOK, s.home, s.ui.NewView(r, "home.title", nil))
}

// inboxData is what the inbox shows.
type inboxData struct {
	Filters []webui.Field
	Overdue []card
	Items   []card
	// Next is the link to the next page; empty on the last.
	Next     string
	Filtered bool
}

// card is a referral in a list, in words.
type card struct {
	ID, Name, CaseRef, Status, Urgency, Overdue, Party, Due, Assignee string
}

// newCard words ref for a list.
func newCard(v *webui.View, ref workflow.Referral, now time.Time) card {
	c := card{ID: ref.ID, CaseRef: ref.CaseRef, Status: v.T("status." + string(ref.Status))}
	if d := ref.Document; d != nil {
		c.Name = d.Child.Name.Display()
	}
	if c.Name == "" {
		c.Name = ref.CaseRef
	}
	if ref.Urgency != "" && ref.Urgency != "routine" {
		c.Urgency = v.T("option." + ref.Urgency)
	}
	if isOverdue(ref, now) {
		c.Overdue = v.T("case.overdue")
	}
	if ref.Side == cases.Recipient {
		c.Party = v.T("case.from", "Agency", ref.SenderAgency, "Country", v.Country(string(ref.SenderMember)))
	} else {
		c.Party = v.T("case.to", "Agency", ref.RecipientAgency, "Country", v.Country(string(ref.RecipientMember)))
	}
	if ref.DueStep != "" {
		c.Due = v.T("due."+ref.DueStep, "Date", v.Date(ref.DueAt))
	}
	if ref.Assignee != "" {
		c.Assignee = v.T("case.assigned_to", "User", ref.Assignee)
	}
	return c
}

// filters are the inbox's filter fields, with the values of v.Form.
func filters(v *webui.View) []webui.Field {
	choices := func(prefix string, codes ...string) []webui.Option {
		out := make([]webui.Option, len(codes))
		for i, c := range codes {
			out[i] = webui.Option{Code: c, Label: v.T(prefix + c)}
		}
		return out
	}
	var statuses []string
	for _, st := range cases.Statuses() {
		if st != cases.StatusDraft {
			statuses = append(statuses, string(st))
		}
	}
	return []webui.Field{
		v.Field("direction").WithOptions(choices("direction.", string(store.Incoming), string(store.Outgoing))),
		v.Field("status").WithOptions(choices("status.", statuses...)),
		v.Field("urgency").WithOptions(choices("option.", query.Urgencies...)),
		v.Field("assigned").WithOptions(choices("assigned.", "me", "none")),
		v.Field("q").WithType("search"),
		v.Field("overdue").WithOptions(choices("overdue.", "true")).WithType("checkbox"),
	}
}

// serveInbox lists the referrals the agency received (or sent), most urgent
// first, with the overdue ones on top of the first page: GET /inbox with the
// API list's query parameters.
func (s *Site) serveInbox(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(r)
	if !ok {
		s.ui.Error(w, r, http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	filtered := len(q) > 0
	for name, def := range map[string]string{"direction": string(store.Incoming), "sort": string(store.Urgent), "limit": strconv.Itoa(inboxPageSize)} {
		if q.Get(name) == "" {
			q.Set(name, def)
		}
	}
	data := &inboxData{Filtered: filtered}
	v := s.ui.NewView(r, "inbox.title", data)
	v.Form = q
	data.Filters = filters(v)
	f, err := query.ListFilter(q)
	if err != nil {
		v.SetError(err)
		s.ui.Render(w, r, http.StatusUnprocessableEntity, s.inbox, v)
		return
	}
	page, err := s.svc.List(r.Context(), c, f)
	if err != nil {
		s.failOrShow(w, r, v, s.inbox, err)
		return
	}
	now := s.now()
	for _, ref := range page.Referrals {
		data.Items = append(data.Items, newCard(v, ref, now))
	}
	if page.Next != nil {
		next := cloneValues(q)
		next.Set("before", query.EncodeListCursor(*page.Next))
		data.Next = pathInbox + "?" + next.Encode()
	}
	if !filtered {
		// Overdue work first: the first page leads with what is late.
		late := f
		late.Overdue, late.Before, late.Limit = true, nil, inboxPageSize
		overdue, err := s.svc.List(r.Context(), c, late)
		if err != nil {
			s.failOrShow(w, r, v, s.inbox, err)
			return
		}
		for _, ref := range overdue.Referrals {
			data.Overdue = append(data.Overdue, newCard(v, ref, now))
		}
	}
	s.ui.Render(w, r, http.StatusOK, s.inbox, v)
}

// isOverdue reports whether r's due step is past, as the lists' overdue
// filter means it.
func isOverdue(r workflow.Referral, now time.Time) bool {
	return r.DueStep != "" && r.DueAt.Before(now)
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

// failOrShow shows a refusal of the service on the page when it is about
// the request (invalid, conflict), and the error page otherwise.
func (s *Site) failOrShow(w http.ResponseWriter, r *http.Request, v *webui.View, page *webui.Page, err error) {
	switch corridor.KindOf(err) {
	case corridor.KindInvalid:
		v.SetError(err)
		s.ui.Render(w, r, http.StatusUnprocessableEntity, page, v)
	case corridor.KindConflict:
		v.SetError(err)
		s.ui.Render(w, r, http.StatusConflict, page, v)
	default:
		s.ui.Fail(w, r, err)
	}
}
