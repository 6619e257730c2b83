package filing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

// parsed is a submitted form read into a referral document, with the
// errors of values that could not even be read (a number that is not one).
type parsed struct {
	Doc    referral.Document
	Errors []corridor.FieldError
}

// parseForm reads the form's values into a referral document: each field's
// value goes to the JSON path its name spells, and the document is decoded
// from that JSON, so that the form fills exactly what the API's body would.
// Empty values are left out; the group of an optional object (a guardian,
// trafficking, the override) is left out when all its fields are empty.
// loc is the zone local dates and times are read in.
func parseForm(form url.Values, loc *time.Location, supervisor bool) (parsed, error) {
	root := map[string]any{}
	var errs []corridor.FieldError
	for _, s := range sections {
		for _, f := range s.Fields {
			if f.Supervisor && !supervisor {
				continue
			}
			if f.Kind == kindCheck {
				// An unticked box sends nothing: its absence is the answer.
				set(root, f.Name, form.Get(f.Name) == "true")
				continue
			}
			values := nonEmpty(form[f.Name])
			if len(values) == 0 {
				continue
			}
			v, err := fieldValue(f, values, loc)
			if err != nil {
				errs = append(errs, corridor.FieldError{Field: f.Name, Message: err.Error()})
				continue
			}
			if f.Name == "recipient" {
				member, agency, _ := strings.Cut(values[0], "/")
				set(root, "recipient.member", member)
				set(root, "recipient.agency", agency)
				continue
			}
			set(root, f.Name, v)
		}
	}
	for _, path := range singleEntry {
		group, name, _ := strings.Cut(path, ".")
		if m, ok := root[group].(map[string]any); ok {
			if entry, ok := m[name]; ok {
				m[name] = []any{entry}
			}
		}
	}
	b, err := json.Marshal(root)
	if err != nil {
		return parsed{}, fmt.Errorf("encode filing form: %w", err)
	}
	var d referral.Document
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		// The table and the document disagree: a bug, not the user's input.
		return parsed{}, fmt.Errorf("decode filing form into a referral: %w", err)
	}
	return parsed{Doc: d, Errors: errs}, nil
}

// fieldValue is the JSON value of a field from its non-empty form values.
func fieldValue(f field, values []string, loc *time.Location) (any, error) {
	v := strings.TrimSpace(values[0])
	switch f.Kind {
	case kindChecks:
		return values, nil
	case kindLines:
		var lines []string
		for l := range strings.Lines(values[0]) {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		return lines, nil
	case kindNumber:
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errors.New(msgNotANumber)
		}
		return n, nil
	case kindDateTime:
		t, err := time.ParseInLocation("2006-01-02T15:04", v, loc)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, v); err != nil {
				return nil, errors.New(msgNotADateTime)
			}
		}
		return referral.FormatTime(t), nil
	}
	if f.Name == "child.nationalities" {
		return []string{v}, nil
	}
	return v, nil
}

// The messages of values that cannot be read, which the pages translate.
const (
	msgNotANumber   = "must be a whole number"
	msgNotADateTime = "must be a date and time (2026-03-02T09:00)"
)

// set puts v at the dotted path in m, creating the objects on the way.
func set(m map[string]any, path string, v any) {
	head, rest, more := strings.Cut(path, ".")
	if !more {
		m[head] = v
		return
	}
	child, ok := m[head].(map[string]any)
	if !ok {
		child = map[string]any{}
		m[head] = child
	}
	set(child, rest, v)
}

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return out
}
