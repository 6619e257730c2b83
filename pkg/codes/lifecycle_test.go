package codes

import (
	"strings"
	"testing"

	"github.com/go-playground/validator/v10"
)

func TestLifecycleLists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		list   []Entry
		lookup func(string) (string, bool)
		tag    string
		codes  []string
	}{
		{"services", ServiceTypes(), ServiceType, TagServiceType, []string{
			"family_tracing", "reunification", "medical", "psychosocial", "education",
			"vocational_training", "legal", "shelter", "cash_transfer"}},
		{"service statuses", ServiceStatuses(), ServiceStatus, TagServiceStatus, []string{"planned", "in_progress", "done", "cancelled"}},
		{"follow-up methods", FollowUpMethods(), FollowUpMethod, TagFollowUpMethod, []string{
			"home_visit", "school_visit", "office_visit", "phone", "community_report"}},
		{"travel documents", TravelDocuments(), TravelDocument, TagTravelDocument, []string{
			"laissez_passer", "passport", "national_id", "birth_certificate", "consular_card",
			"ecowas_travel_certificate", "parental_authorisation", "other"}},
		{"closure reasons", ClosureReasons(), ClosureReason, TagClosureReason, []string{
			"reunified_safe", "stopped_working_in_school", "transferred_national_system", "lost_contact",
			"reached_majority", "deceased", "other"}},
	}
	v := validator.New()
	if err := Register(v); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if len(tc.list) != len(tc.codes) {
				t.Fatalf("%d entries, want %d", len(tc.list), len(tc.codes))
			}
			for i, code := range tc.codes {
				if tc.list[i].Code != code || tc.list[i].Name == "" {
					t.Errorf("entry %d = %+v, want code %s", i, tc.list[i], code)
				}
				if name, ok := tc.lookup(code); !ok || name != tc.list[i].Name {
					t.Errorf("lookup(%s) = %q, %v", code, name, ok)
				}
				if err := v.Var(code, tc.tag); err != nil {
					t.Errorf("tag %s refuses %q: %v", tc.tag, code, err)
				}
			}
			for _, bad := range []string{"", "x", strings.ToUpper(tc.codes[0]), tc.codes[0] + " "} {
				if _, ok := tc.lookup(bad); ok {
					t.Errorf("lookup(%q) ok", bad)
				}
				if err := v.Var(bad, tc.tag); err == nil {
					t.Errorf("tag %s accepts %q", tc.tag, bad)
				}
			}
			// The lists are copies: changing one changes nothing.
			tc.list[0].Code = "changed"
			if _, ok := tc.lookup(tc.codes[0]); !ok {
				t.Errorf("changing a returned list changed the table")
			}
		})
	}
}

func TestStatusChangeReasons(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"report_handover_failed": {"child_did_not_arrive", "child_ran_away", "border_closed", "documents_missing",
			"escort_unavailable", "family_not_ready", "other"},
		"suspend": {"child_missing", "child_ran_away", "family_moved", "other"},
		"resume":  {"child_found", "family_reached", "other"},
		"cancel": {"child_moved", "child_refused", "family_refused", "not_in_best_interests",
			"handover_not_possible", "other"},
		"mark_entered_in_error": {"wrong_child", "duplicate", "not_a_child", "other"},
	}
	for event, codes := range want {
		list := StatusChangeReasons(event)
		if len(list) != len(codes) {
			t.Errorf("%s: %d reasons, want %d", event, len(list), len(codes))
			continue
		}
		for i, code := range codes {
			if list[i].Code != code || list[i].Name == "" {
				t.Errorf("%s: entry %d = %+v, want %s", event, i, list[i], code)
			}
			if _, ok := StatusChangeReason(event, code); !ok {
				t.Errorf("%s: %s not found", event, code)
			}
		}
	}
	for _, bad := range [][2]string{{"cancel", "child_missing"}, {"close", "other"}, {"", ""}, {"suspend", "OTHER"}} {
		if _, ok := StatusChangeReason(bad[0], bad[1]); ok {
			t.Errorf("StatusChangeReason(%q, %q) ok", bad[0], bad[1])
		}
	}
	if StatusChangeReasons("accept") != nil {
		t.Error("accept has a reason list")
	}
}

func TestServiceTypes(t *testing.T) {
	t.Parallel()
	types := ServiceTypeCodes()
	if len(types) == 0 {
		t.Fatal("no service types")
	}
	for _, s := range types {
		if !IsServiceType(s) {
			t.Errorf("IsServiceType(%q) = false", s)
		}
	}
	for _, s := range []string{"", "Family_tracing", "family_reunification", "family_tracing "} {
		if IsServiceType(s) {
			t.Errorf("IsServiceType(%q) = true", s)
		}
	}
	types[0] = "changed"
	if IsServiceType("changed") {
		t.Error("ServiceTypeCodes returns the package's own slice")
	}
}
