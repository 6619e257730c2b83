package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// caseData is what the case page shows.
type caseData struct {
	Ref     workflow.Referral
	Overdue bool
	// Actions are a form for each event workflow.Actions allows now.
	Actions []actionForm
	// Assign is the supervisor's assignment form, when the person is one.
	Assign *webui.Field
	// Text is the case in words.
	Text caseText
}

// actionForm is one action's form.
type actionForm struct {
	Event  string
	Action string // where it posts
	Key    string // the idempotency key of this rendering of the form
	Inputs []input
	// Danger marks the actions that end or call off a referral.
	Danger bool
	// Open shows the form unfolded: the only one, or the one with errors.
	Open bool
}

// input is one field of an action's form, placed in its row.
type input struct {
	webui.Field
	Kind string
	// Legend opens a fieldset for a row of a list; Close closes it after
	// the field.
	Legend string
	Close  bool
}

// endingEvents end a referral or call it off: their buttons say so.
var endingEvents = []cases.Event{cases.EventDecline, cases.EventWithdraw, cases.EventCancel,
	cases.EventClose, cases.EventMarkEnteredInError, cases.EventReportHandoverFailed, cases.EventSuspend}

// serveCase shows a case: GET /cases/{id}.
func (s *Site) serveCase(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(r)
	if !ok {
		s.ui.Error(w, r, http.StatusUnauthorized)
		return
	}
	ref, err := s.svc.Get(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	v := s.caseView(r, ref, nil, "")
	if done := r.URL.Query().Get("done"); done != "" {
		v.Notice = "notice.done"
	}
	s.ui.Render(w, r, http.StatusOK, s.casePage, v)
}

// caseView builds the case page of ref; after a POST, with the forms as
// posted and err, the error of form, shown.
func (s *Site) caseView(r *http.Request, ref workflow.Referral, err error, form string) *webui.View {
	data := &caseData{Ref: ref, Overdue: isOverdue(ref, s.now())}
	v := s.ui.NewView(r, "case.title", data)
	v.TitleArgs = []any{"CaseRef", ref.CaseRef}
	if r.Method == http.MethodPost {
		v.Form = r.PostForm
	}
	if err != nil {
		v.SetFormError(err, form)
	}
	data.Text = describe(v, ref)
	p, _ := auth.FromContext(r.Context())
	supervisor := p.Has(corridor.RoleSupervisor)
	actions := workflow.Actions(ref.Referral)
	if !ref.MayAct {
		actions = nil // pkg/policy lets this caller see the case, not act on it
	}
	for _, ev := range actions {
		f := s.actionForm(v, ev, ref, supervisor)
		f.Open = len(actions) == 1 || form == string(ev)
		data.Actions = append(data.Actions, f)
	}
	if supervisor {
		f := v.FormField("assign", "assignee")
		if f.Value == "" && r.Method != http.MethodPost {
			f.Value = ref.Assignee
		}
		data.Assign = &f
	}
	return v
}

// actionForm builds the form of ev for v's page.
func (s *Site) actionForm(v *webui.View, ev cases.Event, ref workflow.Referral, supervisor bool) actionForm {
	form := actionForm{
		Event: string(ev), Action: fmt.Sprintf("%s%s/events/%s", pathCases, ref.ID, ev),
		Key: corridor.NewID("form_"), Danger: slices.Contains(endingEvents, ev),
	}
	if k := v.Value(string(ev) + ".idempotency_key"); corridor.IsCode(k) {
		// The form shown again after an error keeps its key: sending it
		// twice still acts once.
		form.Key = k
	}
	fields := actionFields(ev, ref, supervisor)
	for i, f := range fields {
		in := input{Field: v.FormField(string(ev), f.Path), Kind: string(f.Kind)}
		if f.Kind == kindHidden {
			in.Value = f.Value
		}
		if f.Label != "" {
			in.Label = f.Label
		}
		in.Required = f.Required
		switch {
		case f.List != "":
			in.Options = v.Options(f.List)
		case f.Places:
			in.Options = placeOptions(v, ref)
		case f.OneOf != nil:
			for _, o := range f.OneOf {
				in.Options = append(in.Options, webui.Option{Code: o, Label: v.T("option." + o)})
			}
		}
		if f.Kind == kindDateTime {
			in.Hint = v.T("hint.utc")
		}
		if f.Group != "" && (i == 0 || fields[i-1].Group != f.Group || fields[i-1].Row != f.Row) {
			in.Legend = v.T("group."+f.Group, "N", f.Row+1)
		}
		in.Close = f.Group != "" && (i == len(fields)-1 || fields[i+1].Group != f.Group || fields[i+1].Row != f.Row)
		form.Inputs = append(form.Inputs, in)
	}
	return form
}

// placeOptions are the subdivisions of the two countries of ref, for a
// place select.
func placeOptions(v *webui.View, ref workflow.Referral) []webui.Option {
	var out []webui.Option
	for _, m := range []corridor.MemberCode{ref.SenderMember, ref.RecipientMember} {
		for _, sd := range codes.Subdivisions(string(m)) {
			out = append(out, webui.Option{Code: sd.Code, Label: sd.Name + " (" + sd.Code + ")"})
		}
	}
	return out
}

// act causes an event from its form: POST /cases/{id}/events/{event}. It
// goes back to the case on success, and shows the case with the form's
// errors otherwise.
func (s *Site) act(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(r)
	if !ok {
		s.ui.Error(w, r, http.StatusUnauthorized)
		return
	}
	ev := cases.Event(r.PathValue("event"))
	body, ok := events.New(ev)
	if !ok {
		s.ui.Error(w, r, http.StatusNotFound)
		return
	}
	ref, err := s.svc.Get(r.Context(), c, r.PathValue("id"))
	if err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.ui.Error(w, r, http.StatusBadRequest)
		return
	}
	p, _ := auth.FromContext(r.Context())
	fields := actionFields(ev, ref, p.Has(corridor.RoleSupervisor))
	rename, bad := decodeAction(r.PostForm, string(ev)+".", fields, body, ref.Document)
	if len(bad) > 0 {
		s.showCaseError(w, r, ref, corridor.Invalid("The form has invalid fields.", bad...), string(ev))
		return
	}
	key := r.PostForm.Get(string(ev) + ".idempotency_key")
	if !corridor.IsCode(key) {
		key = ""
	}
	if _, _, err := s.svc.Act(r.Context(), c, ref.ID, body, key); err != nil {
		s.showCaseError(w, r, ref, renameFields(err, rename), string(ev))
		return
	}
	http.Redirect(w, r, pathCases+ref.ID+"?done="+string(ev), http.StatusSeeOther)
}

// assign gives the case to a user of the agency, or to nobody: POST
// /cases/{id}/assign (supervisors).
func (s *Site) assign(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(r)
	if !ok {
		s.ui.Error(w, r, http.StatusUnauthorized)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		s.ui.Error(w, r, http.StatusBadRequest)
		return
	}
	assignee := r.PostForm.Get("assign.assignee")
	if r.PostForm.Has("unassign") {
		assignee = ""
	}
	ref, err := s.svc.Assign(r.Context(), c, r.PathValue("id"), assignee)
	if err == nil {
		http.Redirect(w, r, pathCases+ref.ID+"?done=assign", http.StatusSeeOther)
		return
	}
	if k := corridor.KindOf(err); k != corridor.KindInvalid && k != corridor.KindConflict {
		s.ui.Fail(w, r, err)
		return
	}
	ref, gerr := s.svc.Get(r.Context(), c, r.PathValue("id"))
	if gerr != nil {
		s.ui.Fail(w, r, gerr)
		return
	}
	s.showCaseError(w, r, ref, err, "assign")
}

// showCaseError shows the case again with err: a form's fields in the
// error summary, a rule's refusal as the page's problem, and the error page
// when the person may not see the case at all.
func (s *Site) showCaseError(w http.ResponseWriter, r *http.Request, ref workflow.Referral, err error, form string) {
	status := http.StatusUnprocessableEntity
	switch corridor.KindOf(err) {
	case corridor.KindInvalid:
	case corridor.KindConflict:
		status = http.StatusConflict
	case corridor.KindForbidden:
		status = http.StatusForbidden
	default:
		s.ui.Fail(w, r, err)
		return
	}
	v := s.caseView(r, ref, err, form)
	s.ui.Render(w, r, status, s.casePage, v)
}
