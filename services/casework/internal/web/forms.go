package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// An action's form is derived from the Go type of its event body, so that
// every event a user may cause has a form, and each form asks exactly what
// the API's request body holds: the field's JSON path is the input's name,
// its validate tag picks the input, and the workflow service's validation
// (the same as the API's) answers with fields the error summary links to.

// fieldKind is how a field is asked.
type fieldKind string

const (
	kindText     fieldKind = "text"
	kindTextarea fieldKind = "textarea"
	kindSelect   fieldKind = "select"
	kindDate     fieldKind = "date"
	kindDateTime fieldKind = "datetime-local"
	kindNumber   fieldKind = "number"
	kindTel      fieldKind = "tel"
	kindHidden   fieldKind = "hidden"
)

// formField is one input of an action's form.
type formField struct {
	// Path is the field's JSON path in the event body ("escorts[1].name").
	Path string
	Kind fieldKind
	// List names the code list of a select's choices (webui.Locale.Options);
	// OneOf are the choices of a oneof tag, labelled by "option.<value>".
	List  string
	OneOf []string
	// Places are the subdivision codes a place select offers.
	Places   bool
	Required bool
	// Value presets a field (hidden fields).
	Value string
	// Int marks a field the body holds as a number (a hidden one too).
	Int bool
	// Label overrides the label with a text of the case (an answer is
	// labelled by its question).
	Label string
	// Group and Row place the field in the Row-th repetition of a list
	// ("escorts"); Group is empty outside lists.
	Group string
	Row   int
}

// rowsOf is how many rows a form offers for a list of the body: without
// JavaScript a form cannot add rows, so it offers a few, and blank rows are
// dropped.
var rowsOf = map[string]int{"items": 3, "escorts": 2, "travel_documents": 2}

// skipped are the body fields casework sets itself or a form does not ask.
var skipped = map[string]bool{
	"items.id":   true, // casework numbers the questions
	"service_id": true, // a form records a new service
}

var (
	oneOfTag = regexp.MustCompile(`(?:^|,)oneof=([^,]+)`)
	maxTag   = regexp.MustCompile(`(?:^|,)max=(\d+)`)
)

// codeListTags are the validate tags of code lists and the list that
// labels them (webui's code lists).
var codeListTags = map[string]string{
	codes.TagServiceType: "service_type", codes.TagServiceStatus: "service_status",
	codes.TagFollowUpMethod: "follow_up_method", codes.TagTravelDocument: "travel_document",
	codes.TagClosureReason: "closure_reason",
}

// bodyFields lists the inputs of body's type.
func bodyFields(t reflect.Type, prefix, group string, row int) []formField {
	var out []formField
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || name == "" || !sf.IsExported() {
			continue
		}
		path := prefix + name
		if skipped[stripIndexes(path)] {
			continue
		}
		tag := sf.Tag.Get("validate")
		switch sf.Type.Kind() {
		case reflect.Struct:
			out = append(out, bodyFields(sf.Type, path+".", group, row)...)
			continue
		case reflect.Slice:
			if sf.Type.Elem().Kind() == reflect.Struct {
				for r := range rowsOf[name] {
					out = append(out, bodyFields(sf.Type.Elem(), fmt.Sprintf("%s[%d].", path, r), name, r)...)
				}
			}
			continue
		case reflect.Pointer:
			continue // the document groups an answer may correct
		}
		f := formField{Path: path, Kind: kindText, Group: group, Row: row,
			Required: strings.HasPrefix(tag, "required") || strings.Contains(tag, ",required")}
		switch {
		case sf.Type.Kind() == reflect.Int:
			f.Kind, f.Int = kindNumber, true
		case strings.Contains(tag, "datetime=2006-01-02T15:04:05Z07:00"):
			f.Kind = kindDateTime
		case strings.Contains(tag, "datetime=2006-01-02"):
			f.Kind = kindDate
		case strings.Contains(tag, "iso3166_2"):
			f.Kind, f.Places = kindSelect, true
		case strings.Contains(tag, "e164"):
			f.Kind = kindTel
		case oneOfTag.MatchString(tag):
			f.Kind, f.OneOf = kindSelect, strings.Fields(oneOfTag.FindStringSubmatch(tag)[1])
		default:
			for t, list := range codeListTags {
				if slices.Contains(strings.Split(tag, ","), t) {
					f.Kind, f.List = kindSelect, list
				}
			}
			if m := maxTag.FindStringSubmatch(tag); f.Kind == kindText && m != nil {
				if n, _ := strconv.Atoi(m[1]); n > 500 {
					f.Kind = kindTextarea
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// actionFields are the inputs of ev's form for ref: its body's fields, and
// what the case fixes (the information request answered, the plan
// confirmed). supervisor adds the consent override to an answer.
func actionFields(ev cases.Event, ref workflow.Referral, supervisor bool) []formField {
	body, ok := events.New(ev)
	if !ok {
		return nil
	}
	switch ev {
	case cases.EventRespondInfo:
		return answerFields(ref, supervisor)
	case cases.EventConfirmHandover:
		f := []formField{{Path: "revision", Kind: kindHidden, Int: true}}
		if p := ref.Plan; p != nil {
			f[0].Value = strconv.Itoa(p.Body.Revision)
		}
		return append(f, bodyFields(reflect.TypeFor[events.ConfirmHandover](), "", "", 0)[1:]...)
	}
	fields := bodyFields(reflect.TypeOf(body).Elem(), "", "", 0)
	if events.IsStatusChange(ev) {
		for i := range fields {
			if fields[i].Path == "reason_code" {
				fields[i].Kind, fields[i].List = kindSelect, "reason."+string(ev)
				fields[i].Required = len(codes.StatusChangeReasons(string(ev))) > 0 && ev != cases.EventResume
			}
		}
	}
	return fields
}

// answerFields are the inputs of an answer to the open information
// request: one answer per question, labelled by the question.
func answerFields(ref workflow.Referral, supervisor bool) []formField {
	var open *events.RequestInfo
	for _, q := range ref.Lifecycle.InfoRequests {
		if q.Response == nil {
			open = &q.Body
		}
	}
	if open == nil {
		return nil
	}
	fields := []formField{{Path: "request_id", Kind: kindHidden, Value: open.RequestID}}
	for i, q := range open.Items {
		fields = append(fields,
			formField{Path: fmt.Sprintf("items[%d].question_id", i), Kind: kindHidden, Value: q.ID, Group: "items", Row: i},
			formField{Path: fmt.Sprintf("items[%d].answer", i), Kind: kindTextarea, Required: true, Label: q.Question, Group: "items", Row: i})
	}
	fields = append(fields, formField{Path: "note", Kind: kindTextarea})
	if supervisor {
		fields = append(fields, formField{Path: overridePath, Kind: kindTextarea})
	}
	return fields
}

// overridePath is the answer's consent override reason, the one document
// field a form corrects: a supervisor refers without consent, in the
// child's best interests, saying why.
const overridePath = "consent.override.reason"

// decodeAction reads the form of ev into body. Blank rows of a list are
// dropped; the returned rename maps the path of a kept row back to the row
// the person filled in, for the error summary. Its errors are the fields a
// form cannot even carry (a number that is not one).
func decodeAction(form url.Values, prefix string, fields []formField, body events.Body, doc *referral.Document) (map[string]string, []corridor.FieldError) {
	root := map[string]any{}
	var bad []corridor.FieldError
	rows := map[string]map[int]bool{} // group → rows with a value
	for _, f := range fields {
		if f.Path == overridePath {
			continue
		}
		v := form.Get(prefix + f.Path)
		if f.Kind == kindHidden && f.Value != "" {
			v = f.Value
		}
		if v == "" {
			continue
		}
		var val any = v
		switch {
		case f.Int:
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				bad = append(bad, corridor.FieldError{Field: f.Path, Message: "must be a whole number", Rule: "number"})
				continue
			}
			val = n
		case f.Kind == kindDateTime:
			// A datetime-local input says "2026-12-06T14:05", in UTC as the
			// form says; the API takes RFC 3339.
			if len(v) == len("2006-01-02T15:04") {
				val = v + ":00Z"
			}
		}
		if f.Group != "" && f.Kind != kindHidden {
			if rows[f.Group] == nil {
				rows[f.Group] = map[int]bool{}
			}
			rows[f.Group][f.Row] = true
		}
		setPath(root, f.Path, val)
	}
	rename := compactRows(root, rows)
	if reason := form.Get(prefix + overridePath); reason != "" && doc != nil {
		if b, ok := body.(*events.RespondInfo); ok {
			consent := doc.Consent
			consent.Override = &referral.Override{Reason: reason}
			b.Consent = &consent
		}
	}
	if len(bad) > 0 {
		return rename, bad
	}
	raw, err := json.Marshal(root)
	if err == nil {
		err = json.Unmarshal(raw, body)
	}
	if err != nil {
		// The form's fields are the body's own: this is a bug.
		return rename, []corridor.FieldError{{Field: "form", Message: "could not be read"}}
	}
	return rename, nil
}

var segment = regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?$`)

// setPath sets path ("escorts[1].name") in a tree of maps, lists being
// maps of row numbers until compactRows.
func setPath(root map[string]any, path string, v any) {
	node := root
	parts := strings.Split(path, ".")
	for i, p := range parts {
		m := segment.FindStringSubmatch(p)
		name, idx := m[1], m[2]
		last := i == len(parts)-1
		if idx == "" {
			if last {
				node[name] = v
				return
			}
			next, ok := node[name].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[name] = next
			}
			node = next
			continue
		}
		row, _ := strconv.Atoi(idx)
		list, ok := node[name].(map[int]map[string]any)
		if !ok {
			list = map[int]map[string]any{}
			node[name] = list
		}
		if list[row] == nil {
			list[row] = map[string]any{}
		}
		node = list[row]
	}
}

// compactRows turns the lists of root into JSON arrays of the rows filled
// in, and returns how the kept rows' paths map to the rows of the form.
func compactRows(root map[string]any, filled map[string]map[int]bool) map[string]string {
	rename := map[string]string{}
	for name, v := range root {
		switch x := v.(type) {
		case map[string]any:
			compactRows(x, filled)
		case map[int]map[string]any:
			var kept []any
			for _, row := range slices.Sorted(maps.Keys(x)) {
				if !filled[name][row] {
					continue
				}
				rename[fmt.Sprintf("%s[%d]", name, len(kept))] = fmt.Sprintf("%s[%d]", name, row)
				kept = append(kept, x[row])
			}
			if kept == nil {
				delete(root, name)
			} else {
				root[name] = kept
			}
		}
	}
	return rename
}

// renameFields moves each field error of a kept row to the row the person
// filled in.
func renameFields(err error, rename map[string]string) error {
	var ce *corridor.Error
	if !errors.As(err, &ce) {
		return err
	}
	out := *ce
	out.Fields = make([]corridor.FieldError, len(ce.Fields))
	for i, f := range ce.Fields {
		for kept, row := range rename {
			if f.Field == kept || strings.HasPrefix(f.Field, kept+".") {
				f.Field = row + strings.TrimPrefix(f.Field, kept)
				break
			}
		}
		out.Fields[i] = f
	}
	return &out
}

// stripIndexes drops list indexes from a path ("items[0].id" gives
// "items.id").
func stripIndexes(path string) string {
	var b strings.Builder
	depth := 0
	for _, r := range path {
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
