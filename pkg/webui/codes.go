package webui

import (
	"slices"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/corridor-org/corridor/pkg/codes"
)

// The code lists with translated labels. A label's message id is
// "code.<list>.<code>" ("code.c182.c182_3d"); a language without it shows
// the English name pkg/codes gives, so a new code is never blank. The
// status-change reasons are one list per event: "reason.cancel".
var codeLists = map[string]func() []codes.Entry{
	"c182":               codes.C182Categories,
	"r190":               codes.Hazards,
	"fl":                 codes.ForcedLabourIndicators,
	"child_fl":           codes.ChildForcedLabourIndicators,
	"age_method":         codes.AgeMethods,
	"htcds_control":      codes.MethodsOfControl,
	"htcds_exploitation": codes.ExploitationTypes,
	"migration_status":   codes.MigrationStatuses,
	"interim_care":       codes.InterimCareTypes,
	"case_system":        codes.CaseSystems,
	"service_type":       codes.ServiceTypes,
	"service_status":     codes.ServiceStatuses,
	"follow_up_method":   codes.FollowUpMethods,
	"travel_document":    codes.TravelDocuments,
	"closure_reason":     codes.ClosureReasons,
	"isic_section":       codes.ISICSections,
}

// reasonEvents are the events with a status-change reason list.
var reasonEvents = []string{"report_handover_failed", "suspend", "resume", "cancel", "mark_entered_in_error"}

func init() {
	for _, ev := range reasonEvents {
		codeLists["reason."+ev] = func() []codes.Entry { return codes.StatusChangeReasons(ev) }
	}
}

// CodeLists returns the names of the lists Code and Options know, sorted.
func CodeLists() []string {
	names := make([]string, 0, len(codeLists))
	for n := range codeLists {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Option is one choice of a code list, labelled in a language.
type Option struct {
	Code, Label string
	// Help is the longer explanation "code.<list>.<code>.help", when the
	// language has one ("" otherwise).
	Help string
}

// CodeMessageID is the message id of a code's label.
func CodeMessageID(list, code string) string { return "code." + list + "." + code }

// Code returns the label of code in list: its translation, else the English
// name of pkg/codes, else the code itself.
func (l *Locale) Code(list, code string) string {
	id := CodeMessageID(list, code)
	if s, err := l.localize(id); err == nil {
		return s
	}
	if all, ok := codeLists[list]; ok {
		for _, e := range all() {
			if e.Code == code {
				return e.Name
			}
		}
	}
	return code
}

// Options returns the codes of list in the list's order, labelled; nil for
// an unknown list.
func (l *Locale) Options(list string) []Option {
	all, ok := codeLists[list]
	if !ok {
		return nil
	}
	entries := all()
	opts := make([]Option, len(entries))
	for i, e := range entries {
		opts[i] = Option{Code: e.Code, Label: l.Code(list, e.Code)}
		if help, err := l.localize(CodeMessageID(list, e.Code) + ".help"); err == nil {
			opts[i].Help = help
		}
	}
	return opts
}

// Country returns the name of ISO 3166-1 alpha-2 code in the language
// ("Burkina Faso"), from CLDR; the code when CLDR has no name.
func (l *Locale) Country(code string) string {
	region, err := language.ParseRegion(strings.ToUpper(code))
	if err != nil {
		return code
	}
	if name := display.Regions(l.lang.Tag).Name(region); name != "" {
		return name
	}
	if name, ok := codes.Country(code); ok {
		return name
	}
	return code
}
