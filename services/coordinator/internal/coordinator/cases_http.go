package coordinator

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
)

// caseList is GET /api/v1/cases's and GET /api/v1/overdue's answer.
type caseList struct {
	Items []CaseSummary `json:"items"`
	// NextBefore, set when more cases follow, is the before= value of the
	// next page.
	NextBefore string `json:"next_before,omitempty"`
}

// handleListCases answers GET /api/v1/cases: the cross-border cases, most
// recently active first, filtered and a page at a time.
func (c *Coordinator) handleListCases(w http.ResponseWriter, r *http.Request) {
	f, err := ParseCaseFilter(r.URL.Query(), defaultListLimit)
	if err != nil {
		httpapi.Error(w, r, c.logger, err)
		return
	}
	page, err := ListCases(r.Context(), c.cfg.Pool, f, c.cfg.Now())
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	out := caseList{Items: page.Items}
	if out.Items == nil {
		out.Items = []CaseSummary{}
	}
	if page.Next != nil {
		out.NextBefore = page.Next.String()
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, out)
}

// ParseCaseFilter reads the case list's query parameters (the API's and
// the pages'), naming each one at fault; a missing limit is defaultLimit.
func ParseCaseFilter(q url.Values, defaultLimit int) (CaseFilter, error) {
	limit, fields := httpapi.LimitParam(q, defaultLimit, maxListLimit)
	bad := func(field, msg string) { fields = append(fields, corridor.FieldError{Field: field, Message: msg}) }
	f := CaseFilter{
		Limit: limit, Milestone: q.Get("milestone"), SenderMember: q.Get("sender_member"),
		RecipientMember: q.Get("recipient_member"), AgeBand: q.Get("age_band"), Sector: q.Get("sector"),
	}
	if f.Milestone != "" && !slices.Contains(cases.Milestones(), cases.Milestone(f.Milestone)) {
		bad("milestone", "must be a milestone")
	}
	for _, m := range []struct{ field, value string }{{"sender_member", f.SenderMember}, {"recipient_member", f.RecipientMember}} {
		if m.value != "" && !corridor.IsCode(m.value) {
			bad(m.field, "must be a member code")
		}
	}
	if f.AgeBand != "" && !slices.Contains(cases.AgeBands(), f.AgeBand) {
		bad("age_band", "must be an age band")
	}
	if f.Sector != "" && !isSection(f.Sector) {
		bad("sector", "must be an ISIC section letter")
	}
	switch q.Get("overdue") {
	case "":
	case "true":
		f.Overdue = new(true)
	case "false":
		f.Overdue = new(false)
	default:
		bad("overdue", "must be true or false")
	}
	if s := q.Get("before"); s != "" {
		keys, ok := httpapi.UnpackCursor(s, 3)
		var t time.Time
		if ok {
			t, ok = httpapi.ParseMicros(keys[1])
		}
		if !ok || keys[0] != "cases" || !corridor.IsCode(keys[2]) {
			bad("before", "must be the next_before of an earlier page")
		} else {
			f.Before = &CaseCursor{LastStepAt: t, CaseRef: keys[2]}
		}
	}
	if len(fields) > 0 {
		return CaseFilter{}, corridor.Invalid("Invalid query parameters.", fields...)
	}
	return f, nil
}

// handleListOverdue answers GET /api/v1/overdue: the cases whose due step
// is past its limit, most overdue first, a page at a time.
func (c *Coordinator) handleListOverdue(w http.ResponseWriter, r *http.Request) {
	f, err := ParseOverdueFilter(r.URL.Query(), defaultListLimit)
	if err != nil {
		httpapi.Error(w, r, c.logger, err)
		return
	}
	page, err := ListOverdue(r.Context(), c.cfg.Pool, f, c.cfg.Now())
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	out := caseList{Items: page.Items}
	if out.Items == nil {
		out.Items = []CaseSummary{}
	}
	if page.Next != nil {
		out.NextBefore = page.Next.String()
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, out)
}

// ParseOverdueFilter reads the overdue list's query parameters (the API's
// and the pages'), naming each one at fault; a missing limit is
// defaultLimit.
func ParseOverdueFilter(q url.Values, defaultLimit int) (OverdueFilter, error) {
	limit, fields := httpapi.LimitParam(q, defaultLimit, maxListLimit)
	f := OverdueFilter{Limit: limit, Step: cases.DueStep(q.Get("step"))}
	if f.Step != "" && !slices.Contains(cases.DueSteps(), f.Step) {
		fields = append(fields, corridor.FieldError{Field: "step", Message: "must be decision, information_response, handover or follow_up"})
	}
	if s := q.Get("before"); s != "" {
		keys, ok := httpapi.UnpackCursor(s, 3)
		var t time.Time
		if ok {
			t, ok = httpapi.ParseMicros(keys[1])
		}
		if !ok || keys[0] != "overdue" || !corridor.IsCode(keys[2]) {
			fields = append(fields, corridor.FieldError{Field: "before", Message: "must be the next_before of an earlier page"})
		} else {
			f.Before = &OverdueCursor{DueAt: t, CaseRef: keys[2]}
		}
	}
	if len(fields) > 0 {
		return OverdueFilter{}, corridor.Invalid("Invalid query parameters.", fields...)
	}
	return f, nil
}

// String is the cursor as the before= parameter of the next page.
func (c CaseCursor) String() string {
	return httpapi.PackCursor("cases", httpapi.FormatMicros(c.LastStepAt), c.CaseRef)
}

// String is the cursor as the before= parameter of the next page.
func (c OverdueCursor) String() string {
	return httpapi.PackCursor("overdue", httpapi.FormatMicros(c.DueAt), c.CaseRef)
}

func (c *Coordinator) handleGetCase(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("case_ref")
	if !corridor.IsCode(ref) {
		// Not a reference the corridor mints: no case has it.
		httpapi.Error(w, r, c.logger, corridor.Errorf(corridor.KindNotFound, "No case has this reference."))
		return
	}
	cs, err := GetCase(r.Context(), c.cfg.Pool, ref, c.cfg.Now())
	if corridor.KindOf(err) == corridor.KindNotFound {
		httpapi.Error(w, r, c.logger, err)
		return
	}
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, cs)
}

// freshnessList is GET /api/v1/members/freshness's answer.
type freshnessList struct {
	// OutOfContactAfterHours is the threshold beyond which a member is
	// flagged.
	OutOfContactAfterHours int               `json:"out_of_contact_after_hours"`
	Items                  []MemberFreshness `json:"items"`
}

// handleFreshness answers GET /api/v1/members/freshness: for each country
// member of the directory, when its last event arrived, and whether it is
// out of contact.
func (c *Coordinator) handleFreshness(w http.ResponseWriter, r *http.Request) {
	dir, err := c.cfg.Directory.Current(r.Context())
	if err != nil {
		httpapi.Error(w, r, c.logger, &corridor.Error{Kind: corridor.KindUnavailable, Message: "The corridor directory cannot be read.", Err: err})
		return
	}
	var members []corridor.MemberCode
	for _, m := range dir.Members {
		if m.Code != corridor.Coordinator {
			members = append(members, m.Code)
		}
	}
	items, err := Freshness(r.Context(), c.cfg.Pool, members, c.cfg.Now(), c.cfg.OutOfContactAfter)
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	if items == nil {
		items = []MemberFreshness{}
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, freshnessList{
		OutOfContactAfterHours: int(c.cfg.OutOfContactAfter / time.Hour), Items: items})
}

func isSection(s string) bool {
	_, ok := codes.ISICSection(s)
	return ok
}

// noticeList is GET /api/v1/notifications's answer.
type noticeList struct {
	Items []Notification `json:"items"`
	// NextBefore, set when older notices remain, is the before= value of
	// the next page.
	NextBefore int64 `json:"next_before,omitempty"`
}

// handleListNotices answers GET /api/v1/notifications: the overdue notices
// queued, delivered and failed, newest first, so that one that could not
// be delivered is in sight.
func (c *Coordinator) handleListNotices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, fields := httpapi.LimitParam(q, defaultListLimit, maxListLimit)
	before, bad := httpapi.BeforeIDParam(q)
	fields = append(fields, bad...)
	status := q.Get("status")
	if status != "" && !slices.Contains([]string{NoticePending, NoticeDelivered, NoticeFailed}, status) {
		fields = append(fields, corridor.FieldError{Field: "status", Message: "must be pending, delivered or failed"})
	}
	if len(fields) > 0 {
		httpapi.Error(w, r, c.logger, corridor.Invalid("Invalid query parameters.", fields...))
		return
	}
	items, err := ListNotices(r.Context(), c.cfg.Pool, NoticeFilter{Status: status, Limit: limit + 1, Before: before})
	if err != nil {
		httpapi.Error(w, r, c.logger, unavailable(err))
		return
	}
	out := noticeList{Items: items}
	if out.Items == nil {
		out.Items = []Notification{}
	}
	if len(items) > limit {
		out.Items = items[:limit]
		out.NextBefore = items[limit-1].ID
	}
	_ = httpapi.WriteJSON(w, http.StatusOK, out)
}
