package filing

import (
	"embed"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the filing pages, parsed over the kit's layout.
type pages struct {
	form, sent, timeline *webui.Page
}

func parsePages(u *webui.UI) (pages, error) {
	var p pages
	var err error
	for _, pg := range []struct {
		dst  **webui.Page
		file string
	}{{&p.form, "templates/form.html"}, {&p.sent, "templates/sent.html"}, {&p.timeline, "templates/timeline.html"}} {
		if *pg.dst, err = u.ParsePage(templateFS, pg.file, "templates/partials.html"); err != nil {
			return pages{}, err
		}
	}
	return p, nil
}

// formState is a form being shown: the values typed so far, the key that
// makes its submission file once, and the errors of the last attempt.
type formState struct {
	Values url.Values
	Key    string
	Errors []corridor.FieldError
}

type optionView struct {
	Value, Label, Help, ID string
	Selected               bool
}

type groupView struct {
	Label   string
	Options []optionView
}

type fieldView struct {
	Name, ID, Kind, Label, Hint, Value, Error, Auto string
	// Choose is a select's empty choice.
	Choose   string
	Required bool
	Options  []optionView
	Groups   []groupView
}

type sectionView struct {
	ID, Title, Intro string
	N, Total         int
	Fields           []fieldView
	Invalid          bool
}

type formView struct {
	Sections []sectionView
	Key      string
}

var kindNames = map[kind]string{
	kindText: "text", kindTextarea: "textarea", kindLines: "textarea", kindNumber: "number",
	kindDate: "date", kindDateTime: "datetime-local", kindSelect: "select", kindRadio: "radio",
	kindChecks: "checks", kindCheck: "check",
}

// kitLists are the form's lists whose labels (and explanations) are the
// UI kit's code lists.
var kitLists = map[string]string{"services": "service_type", "age_methods": "age_method"}

// summary turns the workflow's field errors into the error summary's
// entries, each linked to its input and in the form's order: errors of
// list items name the list's input, and several errors of one input make
// one entry.
func summary(v *webui.View, fieldErrors []corridor.FieldError, supervisor bool) (map[string]string, []webui.FieldProblem) {
	fieldErrors = slices.Clone(fieldErrors)
	slices.SortStableFunc(fieldErrors, func(a, b corridor.FieldError) int {
		_, i, _ := lookupField(a.Field)
		_, j, _ := lookupField(b.Field)
		return i - j
	})
	byField := map[string]string{}
	var out []webui.FieldProblem
	for _, fe := range fieldErrors {
		f, _, ok := lookupField(fe.Field)
		if ok && f.Supervisor && !supervisor {
			ok = false
		}
		msg := fieldMessage(v, f, fe)
		if !ok {
			msg := fe.Message
			if v.Has("filing.errors." + fe.Field) {
				msg = v.T("filing.errors." + fe.Field)
			}
			out = append(out, webui.FieldProblem{Field: fe.Field, ID: "referral-form", Label: v.T("filing.errors.form"), Message: msg})
			continue
		}
		if _, seen := byField[f.Name]; seen {
			continue
		}
		byField[f.Name] = msg
		out = append(out, webui.FieldProblem{Field: f.Name, ID: inputID(f.Name), Label: v.T("filing.field." + f.Name), Message: msg})
	}
	return byField, out
}

// fieldMessage is what is wrong with a field, in the person's language:
// the kit's message for the validation rule that failed, or the form's
// own; the domain's English message when neither has one.
func fieldMessage(v *webui.View, f field, fe corridor.FieldError) string {
	switch {
	case fe.Rule == "required" || fe.Rule == "required_without" || fe.Rule == "required_if":
		return v.T("filing.errors.required")
	case fe.Rule != "" && v.Has("validation."+fe.Rule):
		return v.T("validation."+fe.Rule, "Param", fe.Param)
	case fe.Message == msgNotANumber:
		return v.T("filing.errors.number")
	case fe.Message == msgNotADateTime:
		return v.T("filing.errors.datetime")
	case fe.Rule == "" && v.Has("filing.errors."+f.Name):
		// A rule of the domain (consent, the recipient's services, dates
		// in the future), which says it in English.
		return v.T("filing.errors." + f.Name)
	}
	return fe.Message
}

// renderForm renders the referral form for c in st's state.
func (h *handler) renderForm(w http.ResponseWriter, r *http.Request, c workflow.Caller, status int, st formState) {
	members, err := h.agencies(r.Context())
	if err != nil {
		h.fail(w, r, &corridor.Error{Kind: corridor.KindUnavailable, Message: "the corridor directory is not available", Err: err})
		return
	}
	supervisor := slices.Contains(c.Roles, corridor.RoleSupervisor)
	data := formView{Key: st.Key}
	v := h.cfg.UI.NewView(r, "filing.title.new", &data)
	v.Form = st.Values
	errs, problems := summary(v, st.Errors, supervisor)
	if len(problems) > 0 {
		v.Errors, v.Problem = problems, v.T("error.kind.invalid")
	}
	for i, s := range sections {
		sv := sectionView{ID: s.ID, N: i + 1, Total: len(sections),
			Title: v.T("filing.section." + s.ID), Intro: v.T("filing.section." + s.ID + ".intro")}
		for _, f := range s.Fields {
			if f.Supervisor && !supervisor {
				continue
			}
			fv := fieldView{Name: f.Name, ID: inputID(f.Name), Kind: kindNames[f.Kind], Required: f.Required,
				Label: v.T("filing.field." + f.Name), Value: st.Values.Get(f.Name), Error: errs[f.Name], Auto: f.Auto, Choose: v.T("filing.choose")}
			if f.Help {
				fv.Hint = v.T("filing.hint." + f.Name)
			}
			if fv.Error != "" {
				sv.Invalid = true
			}
			fv.Options, fv.Groups = h.options(v, f, fv.ID, st.Values[f.Name], members)
			sv.Fields = append(sv.Fields, fv)
		}
		data.Sections = append(data.Sections, sv)
	}
	h.cfg.UI.Render(w, r, status, h.pages.form, v)
}

// options are a field's choices, labelled in the person's language; the
// recipient's are grouped by country.
func (h *handler) options(v *webui.View, f field, id string, chosen []string, members []member) ([]optionView, []groupView) {
	var opts []optionView
	var groups []groupView
	switch f.List {
	case "":
		return nil, nil
	case "agencies":
		for _, m := range members {
			if m.Code == h.cfg.Member {
				continue
			}
			g := groupView{Label: v.Country(string(m.Code))}
			for _, a := range m.Agencies {
				val := string(m.Code) + "/" + a.ID
				g.Options = append(g.Options, optionView{Value: val, Label: a.Name, Selected: slices.Contains(chosen, val)})
			}
			groups = append(groups, g)
		}
		return nil, groups
	case "members":
		for _, m := range members {
			opts = append(opts, optionView{Value: string(m.Code), Label: v.Country(string(m.Code)), Selected: slices.Contains(chosen, string(m.Code))})
		}
	case "places":
		for _, p := range codes.Subdivisions(string(h.cfg.Member)) {
			opts = append(opts, optionView{Value: p.Code, Label: p.Name + " (" + p.Code + ")", Selected: slices.Contains(chosen, p.Code)})
		}
	default:
		if list, ok := kitLists[f.List]; ok {
			for _, o := range v.Options(list) {
				opts = append(opts, optionView{Value: o.Code, Label: o.Label, Help: o.Help, Selected: slices.Contains(chosen, o.Code)})
			}
			break
		}
		for _, code := range fixedLists[f.List] {
			o := optionView{Value: code, Selected: slices.Contains(chosen, code), Label: v.T("filing.code." + f.List + "." + code)}
			if explained[f.List] {
				o.Help = v.T("filing.code." + f.List + "." + code + ".help")
			}
			opts = append(opts, o)
		}
	}
	for i := range opts {
		opts[i].ID = id + "-" + opts[i].Value
	}
	// A group's first input carries the id the summary links to.
	if len(opts) > 0 && (f.Kind == kindRadio || f.Kind == kindChecks) {
		opts[0].ID = id
	}
	return opts, groups
}

type sentRow struct {
	ID, Child, To, Status, Date string
}

func (h *handler) renderSent(w http.ResponseWriter, r *http.Request, refs []workflow.Referral) {
	rows := make([]sentRow, 0, len(refs))
	v := h.cfg.UI.NewView(r, "filing.title.sent", nil)
	for _, ref := range refs {
		rows = append(rows, sentRow{ID: ref.ID, Child: ref.Document.Child.Name.Display(),
			To:     v.Country(string(ref.RecipientMember)) + " · " + ref.RecipientAgency,
			Status: v.T("filing.status." + string(ref.Status)), Date: v.Date(ref.CreatedAt)})
	}
	v.Data = rows
	h.cfg.UI.Render(w, r, http.StatusOK, h.pages.sent, v)
}

type eventRow struct {
	At, Where, What, Note string
}

type timelineView struct {
	ID, CaseRef, Child, To, Status string
	Delivered                      bool
	Events                         []eventRow
}

func (h *handler) renderTimeline(w http.ResponseWriter, r *http.Request, ref workflow.Referral) {
	data := timelineView{ID: ref.ID, CaseRef: ref.CaseRef, Child: ref.Document.Child.Name.Display(), Delivered: delivered(ref)}
	v := h.cfg.UI.NewView(r, "filing.title.timeline", &data)
	v.TitleArgs = []any{"ID", ref.ID}
	if r.URL.Query().Get("filed") == "1" {
		v.Notice = "filing.filed"
	}
	data.To = v.Country(string(ref.RecipientMember)) + " · " + ref.RecipientAgency
	data.Status = v.T("filing.status." + string(ref.Status))
	for _, e := range ref.History {
		where := v.T("filing.timeline.here")
		if e.ActorMember != h.cfg.Member {
			where = v.T("filing.timeline.there", "Member", v.Country(string(e.ActorMember)))
		}
		data.Events = append(data.Events, eventRow{At: v.DateTime(e.At), Where: where,
			What: v.T("filing.status." + string(e.ToStatus)), Note: eventNote(e)})
	}
	h.cfg.UI.Render(w, r, http.StatusOK, h.pages.timeline, v)
}

// eventNote is what the timeline says beside an event: its reason code.
// The note, the user's own words, stays on the case pages.
func eventNote(e store.Event) string { return e.ReasonCode }

// errNoPrincipal is a wiring mistake: the page was mounted without
// Authenticate.
var errNoPrincipal = errors.New("no signed-in person in the request context")
