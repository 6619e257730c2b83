package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// pageSize is how many cases a page of a list shows: a phone's screenful or
// two on a slow link. The limit parameter asks for another.
const pageSize = 50

// caseRow is a case in a list, in words.
type caseRow struct {
	CaseRef, Milestone, Pair, Sender, Recipient, AgeBand, Sector, Due string
	DaysSinceLastStep                                                 int
	Overdue                                                           bool
	DaysOverdue                                                       int
	Referrals                                                         int
}

// newCaseRow words c for a list.
func newCaseRow(v *webui.View, c coordinator.CaseSummary) caseRow {
	row := caseRow{
		CaseRef: c.CaseRef, Milestone: milestoneLabel(v, c.LatestMilestone),
		Pair:   v.T("coord.pair", "From", v.Country(c.SenderMember), "To", v.Country(c.RecipientMember)),
		Sender: c.SenderAgency, Recipient: c.RecipientAgency,
		AgeBand: ageBandLabel(v, c.AgeBand), Sector: sectorLabel(v, c.Sector),
		DaysSinceLastStep: c.DaysSinceLastStep, Overdue: c.Overdue, DaysOverdue: c.DaysOverdue, Referrals: c.Referrals,
	}
	if c.DueStep != "" {
		row.Due = v.T("due."+string(c.DueStep), "Date", v.Date(c.DueAt))
	}
	return row
}

func milestoneLabel(v *webui.View, m string) string { return v.T("coord.milestone." + m) }

func ageBandLabel(v *webui.View, band string) string {
	if band == "" {
		band = cases.AgeBandUnknown
	}
	return v.T("coord.age_band." + band)
}

func sectorLabel(v *webui.View, section string) string {
	if section == "" {
		return v.T("coord.not_reported")
	}
	return section + " – " + v.Code("isic_section", section)
}

// listData is what the case list shows.
type listData struct {
	Filters []webui.Field
	Items   []caseRow
	// Next is the link to the next page, First the link back to the first;
	// empty when there is none.
	Next, First string
	// CSV is the link to the whole filtered list as CSV.
	CSV string
}

// serveCases is the case list: the cross-border cases, most recently
// active first, filtered and paged by the API's query parameters.
func (s *Site) serveCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := s.ui.NewView(r, "coord.cases.title", nil)
	v.Form = q
	var data listData
	f, err := coordinator.ParseCaseFilter(q, pageSize)
	if err != nil {
		v.SetError(err)
		data.Filters = s.caseFilters(r, v)
		v.Data = data
		s.ui.Render(w, r, http.StatusBadRequest, s.cases, v)
		return
	}
	page, err := coordinator.ListCases(r.Context(), s.cfg.DB, f, s.cfg.Now())
	if err != nil {
		s.ui.Fail(w, r, unavailable(err))
		return
	}
	data.Filters = s.caseFilters(r, v)
	for _, c := range page.Items {
		data.Items = append(data.Items, newCaseRow(v, c))
	}
	data.Next, data.First = pageLinks(pathCases, q, caseFilterKeys, page.Next)
	data.CSV = pathCases + ".csv?" + filtersOf(q, caseFilterKeys).Encode()
	v.Data = data
	s.ui.Render(w, r, http.StatusOK, s.cases, v)
}

// caseFilters are the case list's filter fields, with the values of
// v.Form.
func (s *Site) caseFilters(r *http.Request, v *webui.View) []webui.Field {
	milestones := make([]webui.Option, 0, len(cases.Milestones()))
	for _, m := range cases.Milestones() {
		milestones = append(milestones, webui.Option{Code: string(m), Label: milestoneLabel(v, string(m))})
	}
	var bands []webui.Option
	for _, b := range cases.AgeBands() {
		bands = append(bands, webui.Option{Code: b, Label: ageBandLabel(v, b)})
	}
	members := s.memberOptions(r, v)
	sectors := v.Options("isic_section")
	for i := range sectors {
		sectors[i].Label = sectors[i].Code + " – " + sectors[i].Label
	}
	return []webui.Field{
		v.Field("milestone").WithOptions(milestones),
		v.Field("sender_member").WithOptions(members),
		v.Field("recipient_member").WithOptions(members),
		v.Field("age_band").WithOptions(bands),
		v.Field("sector").WithOptions(sectors),
		v.Field("overdue").WithOptions([]webui.Option{
			{Code: "true", Label: v.T("coord.overdue.true")}, {Code: "false", Label: v.T("coord.overdue.false")}}),
	}
}

// memberOptions are the corridor's country members, by name; none when the
// directory cannot be read (the filters still work by code).
func (s *Site) memberOptions(r *http.Request, v *webui.View) []webui.Option {
	members, err := s.countryMembers(r)
	if err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "read directory for the filters", "err", err)
	}
	var out []webui.Option
	for _, m := range members {
		out = append(out, webui.Option{Code: string(m), Label: v.Country(string(m))})
	}
	return out
}

// countryMembers are the directory's members but the coordinator.
func (s *Site) countryMembers(r *http.Request) ([]corridor.MemberCode, error) {
	dir, err := s.cfg.Directory.Current(r.Context())
	if err != nil {
		return nil, &corridor.Error{Kind: corridor.KindUnavailable, Message: "The corridor directory cannot be read.", Err: err}
	}
	var out []corridor.MemberCode
	for _, m := range dir.Members {
		if m.Code != corridor.Coordinator {
			out = append(out, m.Code)
		}
	}
	return out, nil
}

// pageLinks returns the links to the page after the one shown (when next
// is set) and back to the first (when the one shown is not).
func pageLinks[C interface{ String() string }](path string, q url.Values, keys []string, next *C) (nextLink, firstLink string) {
	if next != nil {
		nq := filtersOf(q, keys)
		if q.Has("limit") {
			nq.Set("limit", q.Get("limit"))
		}
		nq.Set("before", (*next).String())
		nextLink = path + "?" + nq.Encode()
	}
	if q.Get("before") != "" {
		firstLink = path
		if fq := filtersOf(q, keys); len(fq) > 0 {
			firstLink += "?" + fq.Encode()
		}
	}
	return nextLink, firstLink
}

// The filters of each list: what its links carry from one page to the
// next and to its export. Anything else a request carries is left behind.
var (
	caseFilterKeys    = []string{"milestone", "sender_member", "recipient_member", "age_band", "sector", "overdue"}
	overdueFilterKeys = []string{"step"}
)

// filtersOf is q's values of keys: the list's filters without the page's
// position and size.
func filtersOf(q url.Values, keys []string) url.Values {
	out := url.Values{}
	for _, k := range keys {
		if q.Has(k) {
			out[k] = q[k]
		}
	}
	return out
}

// caseData is what a case's page shows.
type caseData struct {
	Case     caseRow
	Sex      string
	Opened   string
	Identify string
	Chain    []referralRow
	Timeline []timelineRow
}

type referralRow struct {
	ReferralID, Previous, Recipient, Milestone, Opened string
}

type timelineRow struct {
	Milestone, Member, At, ISOAt, ReferralID string
	Details                                  []string
}

// serveCase is a case's cross-border timeline, every referral under its
// reference included.
func (s *Site) serveCase(w http.ResponseWriter, r *http.Request) {
	ref := r.PathValue("case_ref")
	if !corridor.IsCode(ref) {
		s.ui.Error(w, r, http.StatusNotFound)
		return
	}
	c, err := coordinator.GetCase(r.Context(), s.cfg.DB, ref, s.cfg.Now())
	if corridor.KindOf(err) == corridor.KindNotFound {
		s.ui.Error(w, r, http.StatusNotFound)
		return
	}
	if err != nil {
		s.ui.Fail(w, r, unavailable(err))
		return
	}
	v := s.ui.NewView(r, "coord.case.title", nil)
	v.TitleArgs = []any{"CaseRef", c.CaseRef}
	d := caseData{Case: newCaseRow(v, c.CaseSummary), Sex: v.T("coord.sex." + orUnknown(c.Sex)), Opened: v.Date(c.OpenedAt)}
	if !c.IdentifiedAt.IsZero() {
		d.Identify = v.Date(c.IdentifiedAt)
	}
	for _, l := range c.ReferralChain {
		d.Chain = append(d.Chain, referralRow{
			ReferralID: l.ReferralID, Previous: l.PreviousReferralID, Milestone: milestoneLabel(v, l.LatestMilestone),
			Recipient: l.RecipientAgency + ", " + v.Country(l.RecipientMember), Opened: v.Date(l.OpenedAt),
		})
	}
	for _, e := range c.Timeline {
		d.Timeline = append(d.Timeline, timelineRow{
			Milestone: milestoneLabel(v, e.Milestone), Member: v.Country(e.Member), At: v.DateTime(e.At),
			ISOAt: e.At.Format(time.RFC3339), ReferralID: e.ReferralID, Details: timelineDetails(v, e),
		})
	}
	v.Data = d
	s.ui.Render(w, r, http.StatusOK, s.casePage, v)
}

// timelineDetails words what a milestone reported besides its name: a
// service's type, a follow-up's answers, a closure's reason, the referral
// a re-referral follows.
func timelineDetails(v *webui.View, e coordinator.TimelineEntry) []string {
	var out []string
	if e.PreviousReferralID != "" {
		out = append(out, v.T("coord.timeline.follows", "Referral", e.PreviousReferralID))
	}
	if e.ServiceType != "" {
		out = append(out, v.T("coord.timeline.service", "Service", v.Code("service_type", e.ServiceType)))
	}
	for _, a := range []struct{ field, answer string }{
		{"at_home", e.AtHome}, {"in_school", e.InSchool}, {"still_working", e.StillWorking}, {"at_risk", e.AtRisk},
	} {
		if a.answer != "" {
			out = append(out, v.T("errors.entry", "Label", v.FieldLabel(a.field), "Message", v.T("coord.answer."+a.answer)))
		}
	}
	if e.ClosureReason != "" {
		out = append(out, v.T("coord.timeline.closed", "Reason", v.Code("closure_reason", e.ClosureReason)))
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// overdueRow is an overdue case with what its responsible agencies were
// told.
type overdueRow struct {
	caseRow
	Step, DueDate, Responsible string
	Notices                    []string
}

// overdueData is what the overdue list shows.
type overdueData struct {
	*webui.Locale
	Filters     []webui.Field
	Items       []overdueRow
	Next, First string
	CSV         string
}

// serveOverdue is the overdue list: the cases past a time limit, most
// overdue first, each with the notices sent to the responsible agencies.
func (s *Site) serveOverdue(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := s.ui.NewView(r, "coord.overdue.title", nil)
	v.Form = q
	data := overdueData{Locale: v.Locale, Filters: overdueFilters(v)}
	f, err := coordinator.ParseOverdueFilter(q, pageSize)
	if err != nil {
		v.SetError(err)
		v.Data = data
		s.ui.Render(w, r, http.StatusBadRequest, s.overdue, v)
		return
	}
	page, err := coordinator.ListOverdue(r.Context(), s.cfg.DB, f, s.cfg.Now())
	if err != nil {
		s.ui.Fail(w, r, unavailable(err))
		return
	}
	if data.Items, err = s.overdueRows(r, v, page.Items); err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	data.Next, data.First = pageLinks(pathOverdue, q, overdueFilterKeys, page.Next)
	data.CSV = pathOverdue + ".csv?" + filtersOf(q, overdueFilterKeys).Encode()
	v.Data = data
	s.ui.Render(w, r, http.StatusOK, s.overdue, v)
}

// overdueRows words overdue cases with the notices sent about them.
func (s *Site) overdueRows(r *http.Request, v *webui.View, items []coordinator.CaseSummary) ([]overdueRow, error) {
	notices, err := s.noticesOf(r, items)
	if err != nil {
		return nil, unavailable(err)
	}
	var out []overdueRow
	for _, c := range items {
		row := overdueRow{caseRow: newCaseRow(v, c), Step: v.T("coord.step." + string(c.DueStep)), DueDate: v.Date(c.DueAt)}
		row.Responsible = responsible(v, c)
		for _, n := range notices[noticeKey{c.CaseRef, c.DueStep, c.DueAt.UnixMicro()}] {
			row.Notices = append(row.Notices, noticeText(v, n))
		}
		out = append(out, row)
	}
	return out, nil
}

func overdueFilters(v *webui.View) []webui.Field {
	var steps []webui.Option
	for _, st := range cases.DueSteps() {
		steps = append(steps, webui.Option{Code: string(st), Label: v.T("coord.step." + string(st))})
	}
	return []webui.Field{v.Field("step").WithOptions(steps)}
}

// responsible names the agencies that must take c's overdue step.
func responsible(v *webui.View, c coordinator.CaseSummary) string {
	out := ""
	for _, side := range c.DueStep.Responsible() {
		agency, member := c.RecipientAgency, c.RecipientMember
		if side == cases.Sender {
			agency, member = c.SenderAgency, c.SenderMember
		}
		if out != "" {
			out += "; "
		}
		out += agency + ", " + v.Country(member)
	}
	return out
}

// noticeKey is the overdue step a notice is about.
type noticeKey struct {
	caseRef string
	step    cases.DueStep
	dueAt   int64
}

// noticesOf returns the notices sent about the current overdue step of
// each of items.
func (s *Site) noticesOf(r *http.Request, items []coordinator.CaseSummary) (map[noticeKey][]coordinator.Notification, error) {
	if len(items) == 0 {
		return nil, nil
	}
	refs := make([]string, len(items))
	for i, c := range items {
		refs[i] = c.CaseRef
	}
	// A case has a notice per channel and agency of each step it was
	// overdue on; a few steps per case is plenty for the current one.
	all, err := coordinator.ListNotices(r.Context(), s.cfg.DB, coordinator.NoticeFilter{CaseRefs: refs, Limit: 16 * len(refs)})
	if err != nil {
		return nil, err
	}
	out := map[noticeKey][]coordinator.Notification{}
	for _, n := range all {
		k := noticeKey{n.CaseRef, n.Step, n.DueAt.UnixMicro()}
		out[k] = append(out[k], n)
	}
	return out, nil
}

// noticeText words a notice: its channel, agency and where it stands.
func noticeText(v *webui.View, n coordinator.Notification) string {
	status := v.T("coord.notice."+n.Status, "Count", n.Attempts)
	if n.Status == coordinator.NoticeDelivered {
		status = v.T("coord.notice.delivered", "Date", v.Date(n.DeliveredAt))
	}
	return v.T("coord.notice.line", "Channel", v.T("coord.channel."+n.Channel), "Agency", n.Agency, "Status", status)
}

// memberRow is a member's freshness in words.
type memberRow struct {
	Member, LastReceived, Since string
	OutOfContact                bool
}

type membersData struct {
	*webui.Locale
	Items     []memberRow
	Threshold string
}

// serveMembers is each member's freshness: when its last event arrived,
// and whether it is out of contact.
func (s *Site) serveMembers(w http.ResponseWriter, r *http.Request) {
	v := s.ui.NewView(r, "coord.members.title", nil)
	data, err := s.loadMembers(r, v)
	if err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	v.Data = data
	s.ui.Render(w, r, http.StatusOK, s.members, v)
}

// loadMembers words each member's freshness.
func (s *Site) loadMembers(r *http.Request, v *webui.View) (membersData, error) {
	members, err := s.countryMembers(r)
	if err != nil {
		return membersData{}, err
	}
	items, err := coordinator.Freshness(r.Context(), s.cfg.DB, members, s.cfg.Now(), s.cfg.OutOfContactAfter)
	if err != nil {
		return membersData{}, unavailable(err)
	}
	data := membersData{Locale: v.Locale, Threshold: v.T("coord.members.threshold", "Hours", strconv.Itoa(int(s.cfg.OutOfContactAfter/time.Hour)))}
	for _, f := range items {
		row := memberRow{Member: v.Country(string(f.Member)), OutOfContact: f.OutOfContact, LastReceived: v.T("coord.members.never")}
		if !f.LastReceivedAt.IsZero() {
			row.LastReceived = v.DateTime(f.LastReceivedAt)
			row.Since = v.T("coord.members.hours", "Count", *f.HoursSinceLast)
		}
		data.Items = append(data.Items, row)
	}
	return data, nil
}
