package webui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/httpapi"
)

// Page is a parsed page: the layout, the kit's partials and the page's own
// templates, one of which defines "content" (and may define "title").
type Page struct {
	t *template.Template
}

// funcs are the template functions besides View's methods.
var funcs = template.FuncMap{
	"fieldID": FieldID,
	"has":     slices.Contains[[]string],
}

// ParsePage parses the page's templates from fsys over a copy of the layout.
func (u *UI) ParsePage(fsys fs.FS, patterns ...string) (*Page, error) {
	t, err := u.base.Clone()
	if err != nil {
		return nil, fmt.Errorf("parse page %v: %w", patterns, err)
	}
	if t, err = t.ParseFS(fsys, patterns...); err != nil {
		return nil, fmt.Errorf("parse page %v: %w", patterns, err)
	}
	if t.Lookup("content") == nil {
		return nil, fmt.Errorf("parse page %v: no \"content\" template", patterns)
	}
	return &Page{t: t}, nil
}

// MustParsePage is ParsePage for pages embedded in the program, whose
// parse error is a bug every test shows.
func (u *UI) MustParsePage(fsys fs.FS, patterns ...string) *Page {
	p, err := u.ParsePage(fsys, patterns...)
	if err != nil {
		panic(err)
	}
	return p
}

// View is what a page's templates see: the request's Locale (T, Date,
// Code…), the signed-in person, the navigation, the form's values and
// errors, and the page's own Data.
type View struct {
	*Locale
	// Title is the message id of the page's title.
	Title string
	// TitleArgs are the title message's name/value pairs.
	TitleArgs []any
	AppName   string
	// Principal is the signed-in person; SignedIn is false on public pages.
	Principal auth.Principal
	SignedIn  bool
	Nav       []NavLink
	Languages []LanguageLink
	// CSRFToken goes into every POST form as csrf_token (the "csrf"
	// partial).
	CSRFToken string
	// Form holds the submitted values, shown again beside their errors.
	Form url.Values
	// Errors are the error summary's entries, in the form's order.
	Errors []FieldProblem
	// Problem is the message of an error that is not about one field.
	Problem string
	// Notice is a message id confirming what the last action did.
	Notice string
	// Data is the page's own data.
	Data any
	// Path is the request's path.
	Path string

	ui *UI
}

// NavLink is a navigation entry as shown.
type NavLink struct {
	Href, Label string
	Current     bool
}

// FieldProblem is one entry of the error summary: the field's id (the
// summary links to #ID), its label and what is wrong, translated.
type FieldProblem struct {
	Field, ID, Label, Message string
}

// NewView returns the view of a page titled by message id title, for r.
func (u *UI) NewView(r *http.Request, title string, data any) *View {
	v := &View{
		Locale: u.LocaleFrom(r.Context()),
		Title:  title, AppName: u.appName, Data: data, Path: r.URL.Path, ui: u,
	}
	v.Languages = u.languageLinks(r, v.lang)
	if p, ok := auth.FromContext(r.Context()); ok {
		v.Principal, v.SignedIn = p, true
		for _, item := range u.nav {
			switch {
			case item.Allow != nil:
				if !item.Allow(p) {
					continue
				}
			case len(item.Roles) > 0 && !p.HasAny(item.Roles...):
				continue
			}
			current := r.URL.Path == item.Href || (item.Href != "/" && strings.HasPrefix(r.URL.Path, item.Href+"/"))
			v.Nav = append(v.Nav, NavLink{Href: item.Href, Label: v.T(item.Label), Current: current})
		}
	}
	if u.csrf != nil {
		v.CSRFToken = u.csrf(r)
	}
	return v
}

// PageTitle returns the translated title.
func (v *View) PageTitle() string { return v.T(v.Title, v.TitleArgs...) }

// Asset returns the content-hashed URL of a static file.
func (v *View) Asset(name string) string { return v.ui.Asset(name) }

// Roles returns the signed-in person's roles as strings.
func (v *View) Roles() []string {
	out := make([]string, len(v.Principal.Roles))
	for i, r := range v.Principal.Roles {
		out[i] = string(r)
	}
	return out
}

// HasRole reports whether the signed-in person has role.
func (v *View) HasRole(role string) bool { return v.Principal.Has(corridor.Role(role)) }

// SetError shows err on the page: a KindInvalid error's fields in the error
// summary, anything else as the page's problem, in the person's language.
// The field labels are the messages "field.<name>", the name without list
// indexes ("services[0].type" is labelled by "field.services.type").
func (v *View) SetError(err error) {
	var ce *corridor.Error
	if !errors.As(err, &ce) {
		v.Problem = v.T("error.kind.internal")
		return
	}
	v.Problem = v.T("error.kind." + string(ce.Kind))
	for _, f := range ce.Fields {
		v.Errors = append(v.Errors, FieldProblem{
			Field: f.Field, ID: FieldID(f.Field), Label: v.FieldLabel(f.Field), Message: v.fieldMessage(f),
		})
	}
	if ce.Kind != corridor.KindInvalid && ce.Kind != corridor.KindInternal && ce.Message != "" {
		// The domain's own message says which rule refused; it never carries
		// personal data (corridor.Error) but is written in English.
		v.Problem += " " + ce.Message
	}
}

// SetFormError is SetError for one of several forms on a page: the fields
// are named "<form>.<field>" (FormField), so that two forms asking for the
// same field ("reason") keep distinct ids, and labelled as the field alone.
func (v *View) SetFormError(err error, form string) {
	var ce *corridor.Error
	if !errors.As(err, &ce) {
		v.SetError(err)
		return
	}
	prefixed := *ce
	prefixed.Fields = make([]corridor.FieldError, len(ce.Fields))
	for i, f := range ce.Fields {
		f.Field = form + "." + f.Field
		prefixed.Fields[i] = f
	}
	v.SetError(&prefixed)
	for i := range v.Errors {
		v.Errors[i].Label = v.FieldLabel(ce.Fields[i].Field)
	}
}

// FormField is Field for field path of one of several forms on a page: its
// name and id carry the form's name, its label is the field's.
func (v *View) FormField(form, path string) Field {
	f := v.Field(form + "." + path)
	f.Label = v.FieldLabel(path)
	return f
}

// fieldMessage translates a field error by its validation rule; an error
// without one (a rule of the domain, not a tag) keeps its English message.
func (v *View) fieldMessage(f corridor.FieldError) string {
	if f.Rule != "" {
		if s, err := v.localize("validation."+f.Rule, "Param", f.Param); err == nil {
			return s
		}
	}
	return f.Message
}

// FieldLabel returns the label of form field name, the message
// "field.<name>" without list indexes.
func (v *View) FieldLabel(name string) string { return v.T("field." + stripIndexes(name)) }

// FieldError returns the message of field name's error, "" when it has none.
func (v *View) FieldError(name string) string {
	for _, p := range v.Errors {
		if p.Field == name {
			return p.Message
		}
	}
	return ""
}

// Value returns the submitted value of field name.
func (v *View) Value(name string) string { return v.Form.Get(name) }

// Checked reports whether value was among field name's submitted values.
func (v *View) Checked(name, value string) bool { return slices.Contains(v.Form[name], value) }

// Field returns what the field partials need for name.
func (v *View) Field(name string) Field {
	return Field{
		ID: FieldID(name), Name: name, Label: v.FieldLabel(name),
		Value: v.Value(name), Values: v.Form[name], Error: v.FieldError(name), Prompt: v.T("form.choose"),
	}
}

// Field is one form field as the "field-*" partials render it.
type Field struct {
	ID, Name, Label, Value, Error string
	// Values are a checkbox group's submitted values.
	Values []string
	// Hint is an optional translated hint shown under the label.
	Hint string
	// Options are a select's or checkbox group's choices.
	Options []Option
	// Required marks the field as required to assistive technology.
	Required bool
	// Type is an input's type ("text", "date", "number").
	Type string
	// Prompt is a select's empty choice ("Choose…").
	Prompt string
}

// WithOptions returns f with the choices of code list list.
func (f Field) WithOptions(opts []Option) Field { f.Options = opts; return f }

// WithHint returns f with a hint.
func (f Field) WithHint(hint string) Field { f.Hint = hint; return f }

// WithType returns f as an input of type t.
func (f Field) WithType(t string) Field { f.Type = t; return f }

// AsRequired returns f marked required.
func (f Field) AsRequired() Field { f.Required = true; return f }

// FieldID is the element id of form field name: "f-" and the name with
// every character but letters and digits turned into "-"
// ("services[0].type" gives "f-services-0--type").
func FieldID(name string) string {
	var b strings.Builder
	b.WriteString("f-")
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func stripIndexes(name string) string {
	var b strings.Builder
	depth := 0
	for _, r := range name {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Render writes page with v and status. Pages are private: nothing caches
// them. A template error renders the 500 page instead of half a page.
func (u *UI) Render(w http.ResponseWriter, r *http.Request, status int, p *Page, v *View) {
	var buf bytes.Buffer
	if err := p.t.ExecuteTemplate(&buf, "layout", v); err != nil {
		u.logger.ErrorContext(r.Context(), "render page", "path", r.URL.Path, "err", err)
		if p != u.errorPage {
			u.Error(w, r, http.StatusInternalServerError)
		} else {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Error renders the page of an HTTP error status (401, 403, 404, 500 and
// others), in the person's language.
func (u *UI) Error(w http.ResponseWriter, r *http.Request, status int) {
	key := strconv.Itoa(status)
	v := u.NewView(r, "error."+key+".title", nil)
	if !v.Has(v.Title) {
		key = "other"
		v.Title, v.TitleArgs = "error.other.title", []any{"Status", status}
	}
	v.Data = errorData{Status: status, Text: "error." + key + ".text"}
	u.Render(w, r, status, u.errorPage, v)
}

// Fail renders the error page that fits err's kind (the status pkg/httpapi
// gives it), logging what is behind a 500.
func (u *UI) Fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpapi.StatusFor(err)
	if status == http.StatusInternalServerError {
		u.logger.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
	}
	u.Error(w, r, status)
}

type errorData struct {
	Status int
	Text   string
}

// NotFound is the 404 page as a handler.
func (u *UI) NotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { u.Error(w, r, http.StatusNotFound) })
}
