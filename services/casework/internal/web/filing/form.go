package filing

import (
	"strings"

	"github.com/corridor-org/corridor/pkg/codes"
)

// kind is how a field is entered.
type kind int

const (
	kindText kind = iota
	kindTextarea
	kindLines // a textarea whose lines are a list
	kindNumber
	kindDate     // a calendar date, "2026-03-02"
	kindDateTime // a local date and time, read in the configured zone
	kindSelect
	kindRadio
	kindChecks // several codes of a list
	kindCheck  // a yes/no checkbox
)

// field is one input of the form. Name is both the form parameter and the
// JSON path of the document field it fills ("child.sex"), without list
// indexes: the form has at most one entry of each list of objects (see
// singleEntry), so "family.guardians.relation" fills
// family.guardians[0].relation. Validation errors name the same paths,
// which is how the error summary links each one to its input.
type field struct {
	Name string
	Kind kind
	// Required marks the label; the server's validation decides.
	Required bool
	// List names the code list the options come from (see options).
	List string
	// Help says the field has a hint under its label.
	Help bool
	// Supervisor fields are shown to supervisors only.
	Supervisor bool
	// Auto names the autocomplete token of a text input, for phones.
	Auto string
}

// section is one step of the guided form: one concern, one screen on a
// phone.
type section struct {
	ID     string
	Fields []field
}

// sections is the referral form, in the order an inspector meets the
// situation: who the referral is for, the child, the work, the worst forms,
// trafficking, the family, protection, consent, and the officer.
var sections = []section{
	{ID: "recipient", Fields: []field{
		{Name: "recipient", Kind: kindSelect, Required: true, List: "agencies", Help: true},
		{Name: "kind", Kind: kindRadio, Required: true, List: "kind"},
		{Name: "urgency", Kind: kindRadio, Required: true, List: "urgency"},
		{Name: "requested_services", Kind: kindChecks, Required: true, List: "services"},
		{Name: "respond_by", Kind: kindDate, Help: true},
		{Name: "reason", Kind: kindTextarea, Required: true, Help: true},
	}},
	{ID: "child", Fields: []field{
		{Name: "child.name.given_names", Kind: kindText, Required: true},
		{Name: "child.name.family_names", Kind: kindText},
		{Name: "child.sex", Kind: kindRadio, Required: true, List: "sex"},
		{Name: "child.nationalities", Kind: kindSelect, List: "members", Help: true},
	}},
	{ID: "age", Fields: []field{
		{Name: "child.date_of_birth", Kind: kindText, Help: true},
		{Name: "child.age_years", Kind: kindNumber, Help: true},
		{Name: "child.age_estimated", Kind: kindCheck},
		{Name: "child.age_assessment_method", Kind: kindSelect, List: "age_methods", Help: true},
	}},
	{ID: "work", Fields: []field{
		{Name: "work.place", Kind: kindSelect, Required: true, List: "places"},
		{Name: "work.locality", Kind: kindText},
		{Name: "work.found_at", Kind: kindDateTime, Required: true},
		{Name: "work.sector.section", Kind: kindRadio, Required: true, List: "isic"},
		{Name: "work.occupation", Kind: kindText, Help: true},
		{Name: "work.hours_per_week", Kind: kindNumber},
		{Name: "work.night_work", Kind: kindRadio, List: "yes_no"},
		{Name: "work.school_attendance", Kind: kindSelect, Required: true, List: "school"},
	}},
	{ID: "worst_forms", Fields: []field{
		{Name: "work.c182_categories", Kind: kindChecks, List: "c182", Help: true},
		{Name: "work.hazards", Kind: kindChecks, List: "r190", Help: true},
		{Name: "work.below_minimum_age", Kind: kindRadio, List: "yes_no", Help: true},
	}},
	{ID: "trafficking", Fields: []field{
		{Name: "trafficking.status", Kind: kindRadio, List: "trafficking", Help: true},
		{Name: "trafficking.forced_labour_indicators", Kind: kindChecks, List: "fl_indicators", Help: true},
		{Name: "trafficking.recruitment", Kind: kindSelect, List: "recruitment"},
	}},
	{ID: "family", Fields: []field{
		{Name: "family.tracing_status", Kind: kindSelect, Required: true, List: "tracing"},
		{Name: "family.family_knows", Kind: kindRadio, List: "yes_no"},
		{Name: "family.guardians.relation", Kind: kindSelect, List: "relation", Help: true},
		{Name: "family.guardians.name.given_names", Kind: kindText},
		{Name: "family.guardians.name.family_names", Kind: kindText},
		{Name: "family.guardians.locality", Kind: kindText},
	}},
	{ID: "protection", Fields: []field{
		{Name: "best_interests.risk_level", Kind: kindRadio, Required: true, List: "risk"},
		{Name: "best_interests.assessment_status", Kind: kindSelect, Required: true, List: "assessment"},
		{Name: "best_interests.urgent_protection_concerns", Kind: kindLines, Help: true},
		{Name: "narrative", Kind: kindTextarea, Help: true},
	}},
	{ID: "consent", Fields: []field{
		{Name: "consent.given_by", Kind: kindRadio, List: "consent_by", Help: true},
		{Name: "consent.given_by_other", Kind: kindText},
		{Name: "consent.to_services", Kind: kindCheck},
		{Name: "consent.to_share_abroad", Kind: kindCheck, Help: true},
		{Name: "consent.recorded_at", Kind: kindDateTime},
		{Name: "consent.legal_basis", Kind: kindText},
		{Name: "consent.withheld.what", Kind: kindText, Help: true},
		{Name: "consent.withheld.why", Kind: kindText},
		{Name: "consent.override.reason", Kind: kindTextarea, Supervisor: true, Help: true},
	}},
	{ID: "officer", Fields: []field{
		{Name: "sending_officer.name", Kind: kindText, Auto: "name"},
		{Name: "sending_officer.title", Kind: kindText, Auto: "organization-title"},
		{Name: "sending_officer.contact.phone", Kind: kindText, Auto: "tel", Help: true},
	}},
}

// singleEntry are the lists of objects the form fills one entry of: one
// guardian (the receiving agency completes the family), one piece of
// information withheld.
var singleEntry = []string{"family.guardians", "consent.withheld"}

// fixedLists are the code lists that do not depend on the caller: the
// document's enumerations and pkg/codes' lists. The labels and
// explanations are messages "filing.code.<list>.<code>" (and ".help").
var fixedLists = map[string][]string{
	"kind":          {"responsibility", "service"},
	"urgency":       {"routine", "urgent", "asap"},
	"sex":           {"female", "male", "other", "unknown"},
	"yes_no":        {"yes", "no", "unknown"},
	"school":        {"regular", "irregular", "dropped_out", "never", "unknown"},
	"trafficking":   {"possible", "actual", "not_a_victim"},
	"recruitment":   {"family", "broker", "employer", "self", "other", "unknown"},
	"tracing":       {"not_started", "in_progress", "found", "not_found", "not_needed"},
	"relation":      {"mother", "father", "grandparent", "sibling", "aunt_uncle", "other_relative", "legal_guardian", "other"},
	"risk":          {"low", "medium", "high"},
	"assessment":    {"not_started", "in_progress", "completed"},
	"consent_by":    {"child", "caregiver", "other"},
	"services":      entryCodes(codes.ServiceTypes()),
	"c182":          entryCodes(codes.C182Categories()),
	"r190":          entryCodes(codes.Hazards()),
	"isic":          entryCodes(codes.ISICSections()),
	"age_methods":   entryCodes(codes.AgeMethods()),
	"fl_indicators": entryCodes(codes.ForcedLabourIndicators()),
}

// explained are the lists whose codes carry a short explanation under
// their label: the legal categories an inspector must tell apart.
var explained = map[string]bool{"c182": true, "r190": true, "fl_indicators": true, "age_methods": true, "kind": true, "urgency": true}

func entryCodes(entries []codes.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Code
	}
	return out
}

// lookupField returns the form field a document path names, stripped of
// list indexes ("requested_services[2]" is requested_services), or the
// closest field above it, and its position in the form; ok is false when no
// field matches, and the error belongs to the summary only.
func lookupField(path string) (field, int, bool) {
	p := stripIndexes(path)
	if p == "recipient.member" || p == "recipient.agency" {
		p = "recipient"
	}
	if p == "work.c182_category" {
		p = "work.c182_categories"
	}
	for p != "" {
		n := 0
		for _, s := range sections {
			for _, f := range s.Fields {
				if f.Name == p {
					return f, n, true
				}
				n++
			}
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return field{}, -1, false
}

func stripIndexes(path string) string {
	out := make([]byte, 0, len(path))
	skip := false
	for i := 0; i < len(path); i++ {
		switch c := path[i]; {
		case c == '[':
			skip = true
		case c == ']':
			skip = false
		case !skip:
			out = append(out, c)
		}
	}
	return string(out)
}

// inputID is the id of a field's input (or, for a group of radios or
// checkboxes, of its first one), which the error summary links to.
func inputID(name string) string {
	b := []byte("f-" + name)
	for i, c := range b {
		if c == '.' || c == '_' {
			b[i] = '-'
		}
	}
	return string(b)
}
