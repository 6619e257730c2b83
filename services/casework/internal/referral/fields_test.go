package referral_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

// TestOldDocumentStaysValid checks that a referral written before the C182
// list, ISIC classes, interim care, case identifiers and the HTCDS lists
// (docs/examples/referral.json, with its single c182_category) is still
// accepted, and that Normalize folds the single category into the list.
func TestOldDocumentStaysValid(t *testing.T) {
	t.Parallel()
	d, err := decode(example(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Work.C182Category != "c182_3d" || d.Work.C182Categories != nil || d.InterimCare != nil || d.Work.Sector.Class != "" {
		t.Fatalf("the example is no longer an old document: %+v", d.Work)
	}
	if err := newValidator(t).Validate(context.Background(), d, inspector, dir); err != nil {
		t.Fatalf("the old example does not validate: %v", err)
	}
	d.Normalize()
	if d.Work.C182Category != "" || !slices.Equal(d.Work.C182Categories, []string{"c182_3d"}) {
		t.Errorf("normalised C182 = %q, %v; want the list [c182_3d] only", d.Work.C182Category, d.Work.C182Categories)
	}
}

func TestTraffickingExample(t *testing.T) {
	t.Parallel()
	d, err := decode(readExample(t, "referral-trafficking.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := newValidator(t).Validate(context.Background(), d, inspector, dir); err != nil {
		t.Fatalf("the example does not validate: %v", err)
	}
	// The example uses every new field, so that the round trip covers them.
	tr := d.Trafficking
	if len(d.Work.C182Categories) < 2 || d.Work.Sector.Class == "" || d.InterimCare == nil || len(d.NationalCaseIDs) == 0 ||
		tr == nil || len(tr.ChildForcedLabourIndicators) == 0 || len(tr.MethodsOfControl) == 0 || len(tr.ExploitationTypes) == 0 {
		t.Errorf("the example leaves new fields out: %+v", d)
	}
}

// TestNewFieldsValidation names the field each bad value is reported on.
func TestNewFieldsValidation(t *testing.T) {
	t.Parallel()
	v := newValidator(t)
	tests := []struct {
		name      string
		edit      func(*referral.Document)
		wantField string // empty: valid
	}{
		{"several C182 categories", func(d *referral.Document) {
			d.Work.C182Category = ""
			d.Work.C182Categories = []string{"c182_3a", "c182_3d"}
		}, ""},
		{"single and list agree", func(d *referral.Document) {
			d.Work.C182Category = "c182_3d"
			d.Work.C182Categories = []string{"c182_3a", "c182_3d"}
		}, ""},
		{"single contradicts list", func(d *referral.Document) {
			d.Work.C182Category = "c182_3b"
			d.Work.C182Categories = []string{"c182_3a", "c182_3d"}
		}, "work.c182_category"},
		{"unknown C182 in list", func(d *referral.Document) { d.Work.C182Categories = []string{"c182_3e"} }, "work.c182_categories[0]"},
		{"repeated C182", func(d *referral.Document) {
			d.Work.C182Category = ""
			d.Work.C182Categories = []string{"c182_3d", "c182_3d"}
		}, "work.c182_categories"},
		{"class in division", func(d *referral.Document) {
			d.Work.Sector = referral.Sector{Section: "A", Division: "01", Class: "0127"}
		}, ""},
		{"class without division", func(d *referral.Document) { d.Work.Sector = referral.Sector{Section: "T", Class: "9700"} }, ""},
		{"class of another division", func(d *referral.Document) {
			d.Work.Sector = referral.Sector{Section: "A", Division: "03", Class: "0127"}
		}, "work.sector.class"},
		{"class of another section", func(d *referral.Document) { d.Work.Sector = referral.Sector{Section: "B", Class: "0127"} }, "work.sector.class"},
		{"unknown class", func(d *referral.Document) { d.Work.Sector.Class = "0120" }, "work.sector.class"},
		{"interim care", func(d *referral.Document) { d.InterimCare = care("foster_family") }, ""},
		{"interim care in detention", func(d *referral.Document) { d.InterimCare = care("detention") }, ""},
		{"interim care unknown type", func(d *referral.Document) { d.InterimCare = care("prison") }, "interim_care.type"},
		{"interim care without anyone responsible", func(d *referral.Document) {
			d.InterimCare = care("relative")
			d.InterimCare.Organisation, d.InterimCare.ResponsiblePerson = "", ""
		}, "interim_care.organisation"},
		{"interim care with a person only", func(d *referral.Document) {
			d.InterimCare = care("relative")
			d.InterimCare.Organisation, d.InterimCare.ResponsiblePerson = "", "Demo aunt"
		}, ""},
		{"interim care place", func(d *referral.Document) {
			d.InterimCare = care("shelter")
			d.InterimCare.Place = "abidjan"
		}, "interim_care.place"},
		{"interim care since in the future", func(d *referral.Document) {
			d.InterimCare = care("shelter")
			d.InterimCare.Since = "2026-12-01"
		}, "interim_care.since"},
		{"interim care since not a date", func(d *referral.Document) {
			d.InterimCare = care("shelter")
			d.InterimCare.Since = "March"
		}, "interim_care.since"},
		{"protection concern from the body", func(d *referral.Document) {
			d.InterimCare = care("shelter")
			d.InterimCare.ProtectionConcern = true
		}, "interim_care.protection_concern"},
		{"case ids", func(d *referral.Document) {
			d.NationalCaseIDs = []referral.CaseID{{System: "primero", ID: "A-1"}, {System: "clms", ID: "A-1"}}
		}, ""},
		{"case id unknown system", func(d *referral.Document) { d.NationalCaseIDs = []referral.CaseID{{System: "Primero", ID: "A-1"}} }, "national_case_ids[0].system"},
		{"case id without id", func(d *referral.Document) { d.NationalCaseIDs = []referral.CaseID{{System: "primero"}} }, "national_case_ids[0].id"},
		{"case id repeated", func(d *referral.Document) {
			d.NationalCaseIDs = []referral.CaseID{{System: "primero", ID: "A-1"}, {System: "primero", ID: "A-1"}}
		}, "national_case_ids[1]"},
		{"child indicators beside the adult ones", func(d *referral.Document) {
			d.Trafficking.ChildForcedLabourIndicators = []string{"recruitment_debt", "penalty_threats_family"}
		}, ""},
		{"adult indicator as a child one", func(d *referral.Document) {
			d.Trafficking.ChildForcedLabourIndicators = []string{"debt_bondage"}
		}, "trafficking.child_forced_labour_indicators[0]"},
		{"methods of control", func(d *referral.Document) {
			d.Trafficking.MethodsOfControl = []string{"debt_bondage", "withholds_documents"}
		}, ""},
		{"unknown method of control", func(d *referral.Document) { d.Trafficking.MethodsOfControl = []string{"DebtBondage"} }, "trafficking.methods_of_control[0]"},
		{"repeated method of control", func(d *referral.Document) {
			d.Trafficking.MethodsOfControl = []string{"threats", "threats"}
		}, "trafficking.methods_of_control"},
		{"exploitation types", func(d *referral.Document) { d.Trafficking.ExploitationTypes = []string{"child_labour"} }, ""},
		{"unknown exploitation type", func(d *referral.Document) { d.Trafficking.ExploitationTypes = []string{"labour"} }, "trafficking.exploitation_types[0]"},
		{"HTCDS migration status", func(d *referral.Document) { d.Trafficking.MigrationStatus = "asylum_seeker" }, ""},
		{"unknown migration status", func(d *referral.Document) { d.Trafficking.MigrationStatus = "tourist" }, "trafficking.migration_status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := decode(example(t))
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(d)
			err = v.Validate(context.Background(), d, inspector, dir)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ce *corridor.Error
			if !errors.As(err, &ce) || ce.Kind != corridor.KindInvalid {
				t.Fatalf("Validate = %v, want an invalid-fields error", err)
			}
			var fields []string
			for _, f := range ce.Fields {
				fields = append(fields, f.Field)
				if f.Field == tc.wantField && f.Message == "" {
					t.Errorf("%s: no message", f.Field)
				}
			}
			if !slices.Contains(fields, tc.wantField) {
				t.Errorf("fields %v, want %s", fields, tc.wantField)
			}
		})
	}
}

func care(kind string) *referral.InterimCare {
	return &referral.InterimCare{Type: kind, Place: "CI-BS", Organisation: "Demo centre", Since: "2026-03-02"}
}

func TestNormalizeNewFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind    string
		concern bool
	}{
		{"transit_centre", false}, {"foster_family", false}, {"police_custody", true}, {"detention", true},
	} {
		d := referral.Document{InterimCare: care(tc.kind)}
		d.Normalize()
		if d.InterimCare.ProtectionConcern != tc.concern {
			t.Errorf("%s: protection concern %v, want %v", tc.kind, d.InterimCare.ProtectionConcern, tc.concern)
		}
	}
	d := referral.Document{Work: referral.Work{
		Sector:         referral.Sector{Section: "A", Class: "0127"},
		C182Category:   "c182_3a",
		C182Categories: []string{"c182_3d"},
	}}
	d.Normalize()
	if d.Work.Sector.Division != "01" {
		t.Errorf("division %q, want 01 from the class", d.Work.Sector.Division)
	}
	if d.Work.C182Category != "" || !slices.Equal(d.Work.C182Categories, []string{"c182_3a", "c182_3d"}) {
		t.Errorf("C182 = %q, %v", d.Work.C182Category, d.Work.C182Categories)
	}
}
