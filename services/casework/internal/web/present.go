package web

import (
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// The case page in words: what the templates show, translated here so that
// the templates stay plain markup.

// row is a label and its value.
type row struct{ Label, Value string }

// step is one step of the cross-border timeline.
type step struct {
	At                   time.Time
	When, What, Who      string
	Change, Reason, Note string
}

// record is one record of a case's life after sending: an information
// request and its answer, a plan, a service, a follow-up, the closure.
type record struct {
	Title string
	When  string
	Rows  []row
}

// caseText is the case in words.
type caseText struct {
	Summary  []row
	Child    []row
	Timeline []step
	Records  []record
}

// describe words ref for v's reader.
func describe(v *webui.View, ref workflow.Referral) caseText {
	var t caseText
	yesNo := func(b bool) string {
		if b {
			return v.T("option.yes")
		}
		return v.T("option.no")
	}
	add := func(rows *[]row, label, value string) {
		if value != "" {
			*rows = append(*rows, row{v.FieldLabel(label), value})
		}
	}
	option := func(code string) string {
		if code == "" {
			return ""
		}
		return v.T("option." + code)
	}
	labels := func(list string, codes []string) string {
		out := make([]string, len(codes))
		for i, c := range codes {
			out[i] = v.Code(list, c)
		}
		return strings.Join(out, " ; ")
	}
	add(&t.Summary, "status", v.T("status."+string(ref.Status)))
	if ref.Side == cases.Recipient {
		add(&t.Summary, "from", v.T("party", "Agency", ref.SenderAgency, "Country", v.Country(string(ref.SenderMember))))
	} else {
		add(&t.Summary, "to", v.T("party", "Agency", ref.RecipientAgency, "Country", v.Country(string(ref.RecipientMember))))
	}
	add(&t.Summary, "urgency", option(ref.Urgency))
	if ref.DueStep != "" {
		add(&t.Summary, "due", v.T("due."+ref.DueStep, "Date", v.Date(ref.DueAt)))
	}
	add(&t.Summary, "assignee", ref.Assignee)
	add(&t.Summary, "created_at", v.DateTime(ref.CreatedAt))
	if d := ref.Document; d != nil {
		add(&t.Summary, "kind", option(d.Kind))
		add(&t.Summary, "reason", d.Reason)
		add(&t.Summary, "requested_services", labels("service_type", d.RequestedServices))
		c := d.Child
		add(&t.Child, "child.name", c.Name.Display())
		add(&t.Child, "child.sex", option(c.Sex))
		add(&t.Child, "child.date_of_birth", c.DateOfBirth)
		if c.AgeYears != nil {
			age := v.T("child.age", "Count", *c.AgeYears)
			if c.AgeEstimated {
				age += " (" + v.T("child.estimated") + ")"
			}
			add(&t.Child, "child.age_years", age)
		}
		var nats []string
		for _, n := range c.Nationalities {
			nats = append(nats, v.Country(n))
		}
		add(&t.Child, "child.nationalities", strings.Join(nats, ", "))
		add(&t.Child, "family.tracing_status", option(d.Family.TracingStatus))
		add(&t.Child, "best_interests.risk_level", option(d.BestInterests.RiskLevel))
		add(&t.Child, "consent.to_services", yesNo(d.Consent.ToServices))
		add(&t.Child, "consent.to_share_abroad", yesNo(d.Consent.ToShareAbroad))
		if o := d.Consent.Override; o != nil {
			add(&t.Child, overridePath, o.Reason)
		}
		add(&t.Child, "work.place", place(d.Work.Place))
		add(&t.Child, "work.sector.section", v.Code("isic_section", d.Work.Sector.Section))
		add(&t.Child, "work.c182_categories", labels("c182", d.Work.C182Categories))
		add(&t.Child, "work.hazards", labels("r190", d.Work.Hazards))
		add(&t.Child, "work.school_attendance", option(d.Work.SchoolAttendance))
		if tr := d.Trafficking; tr != nil {
			add(&t.Child, "trafficking.status", option(tr.Status))
			add(&t.Child, "trafficking.forced_labour_indicators", labels("fl", tr.ForcedLabourIndicators))
		}
		add(&t.Child, "narrative", d.Narrative)
	}
	for _, e := range ref.History {
		s := step{
			At: e.At, When: v.DateTime(e.At), What: v.T("event." + string(e.Event)),
			Who:  v.T("side."+string(e.ActorSide), "Country", v.Country(string(e.ActorMember))),
			Note: e.Note,
		}
		if e.FromStatus != e.ToStatus {
			s.Change = v.T("case.change", "From", v.T("status."+string(e.FromStatus)), "To", v.T("status."+string(e.ToStatus)))
		}
		if e.ReasonCode != "" {
			s.Reason = reasonLabel(v, e.Event, e.ReasonCode)
		}
		if e.Outcome != "" {
			s.Note = strings.TrimSpace(s.Note + " " + v.T("outcome."+e.Outcome))
		}
		t.Timeline = append(t.Timeline, s)
	}
	l := ref.Lifecycle
	for _, q := range l.InfoRequests {
		rec := record{Title: v.T("event.request_info"), When: v.DateTime(q.At)}
		answers := map[string]string{}
		if a := q.Response; a != nil {
			for _, it := range a.Body.Items {
				answers[it.QuestionID] = it.Answer
			}
		}
		for _, it := range q.Body.Items {
			ans := answers[it.ID]
			if ans == "" {
				ans = v.T("case.unanswered")
			}
			rec.Rows = append(rec.Rows, row{it.Question, ans})
		}
		t.Records = append(t.Records, rec)
	}
	if p := ref.Plan; p != nil {
		rec := record{Title: v.T("case.plan", "Revision", p.Body.Revision), When: v.DateTime(p.At)}
		add(&rec.Rows, "planned_for", planTime(v, p.Body.PlannedFor))
		add(&rec.Rows, "place", place(p.Body.Place))
		add(&rec.Rows, "border_post", p.Body.BorderPost)
		add(&rec.Rows, "transport", option(p.Body.Transport))
		add(&rec.Rows, "received_by.name", p.Body.ReceivedBy.Name)
		var docs []string
		for _, d := range p.Body.TravelDocuments {
			docs = append(docs, v.Code("travel_document", d.Type)+" ("+option(d.Status)+")")
		}
		add(&rec.Rows, "travel_documents.type", strings.Join(docs, " ; "))
		t.Records = append(t.Records, rec)
	}
	for _, sv := range l.Services {
		rec := record{Title: v.Code("service_type", sv.Body.Type), When: v.DateTime(sv.At)}
		add(&rec.Rows, "provider", sv.Body.Provider)
		add(&rec.Rows, "status", v.Code("service_status", sv.Body.Status))
		add(&rec.Rows, "start_date", sv.Body.StartDate)
		add(&rec.Rows, "end_date", sv.Body.EndDate)
		t.Records = append(t.Records, rec)
	}
	for _, f := range l.FollowUps {
		rec := record{Title: v.T("event.record_follow_up"), When: f.Body.Date}
		add(&rec.Rows, "method", v.Code("follow_up_method", f.Body.Method))
		for _, q := range []struct{ name, val string }{{"at_home", f.Body.AtHome}, {"in_school", f.Body.InSchool},
			{"still_working", f.Body.StillWorking}, {"at_risk", f.Body.AtRisk}} {
			add(&rec.Rows, q.name, option(q.val))
		}
		add(&rec.Rows, "notes", f.Body.Notes)
		t.Records = append(t.Records, rec)
	}
	if c := l.Closure; c != nil {
		rec := record{Title: v.T("event.close"), When: v.DateTime(c.At)}
		add(&rec.Rows, "reason_code", v.Code("closure_reason", c.Body.ReasonCode))
		add(&rec.Rows, "note", c.Body.Note)
		t.Records = append(t.Records, rec)
	}
	return t
}

// reasonLabel words the reason code of a step of event ev.
func reasonLabel(v *webui.View, ev cases.Event, code string) string {
	switch {
	case ev == cases.EventClose:
		return v.Code("closure_reason", code)
	case events.IsStatusChange(ev):
		return v.Code("reason."+string(ev), code)
	}
	return v.T("option." + code)
}

// place names an ISO 3166-2 subdivision ("Bas-Sassandra (CI-BS)").
func place(code string) string {
	if code == "" {
		return ""
	}
	if sd, ok := codes.Subdivision(code); ok {
		return sd.Name + " (" + code + ")"
	}
	return code
}

// planTime words a plan's RFC 3339 time.
func planTime(v *webui.View, s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return v.DateTime(t)
}
