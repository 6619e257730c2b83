package codes

import (
	"errors"
	"testing"

	"github.com/go-playground/validator/v10"
)

type label string

// coded is a request body using every tag, as the services will.
type coded struct {
	Country     string   `validate:"omitempty,iso3166_1"`
	Nationality []string `validate:"dive,iso3166_1"`
	Member      label    `validate:"omitempty,iso3166_1"`
	Place       string   `validate:"omitempty,iso3166_2"`
	Section     string   `validate:"omitempty,isic_section"`
	Division    string   `validate:"omitempty,isic_division"`
	Class       string   `validate:"omitempty,isic_class"`
	C182        string   `validate:"omitempty,c182_category"`
	Hazards     []string `validate:"dive,r190_hazard"`
	Indicators  []string `validate:"dive,fl_indicator"`
	ChildFL     []string `validate:"dive,child_fl_indicator"`
	Control     []string `validate:"dive,htcds_control"`
	Exploit     []string `validate:"dive,htcds_exploitation"`
	Migration   string   `validate:"omitempty,migration_status"`
	Care        string   `validate:"omitempty,interim_care"`
	System      string   `validate:"omitempty,case_system"`
	AgeMethod   string   `validate:"omitempty,age_method"`
	Language    string   `validate:"omitempty,bcp47"`
	Required    string   `validate:"required,bcp47"`
	NotAString  int      `validate:"omitempty,iso3166_1"`
}

func TestRegister(t *testing.T) {
	t.Parallel()
	v := validator.New(validator.WithRequiredStructEnabled())
	if err := Register(v); err != nil {
		t.Fatalf("Register: %v", err)
	}
	base := func() coded { return coded{Required: "fr"} }
	tests := []struct {
		name      string
		edit      func(*coded)
		wantField string // empty: valid
		wantTag   string
	}{
		{"empty optional fields", func(*coded) {}, "", ""},
		{"country", func(c *coded) { c.Country = "CI" }, "", ""},
		{"country lower case", func(c *coded) { c.Country = "ci" }, "Country", "iso3166_1"},
		{"country alpha-3", func(c *coded) { c.Country = "CIV" }, "Country", "iso3166_1"},
		{"country unassigned", func(c *coded) { c.Country = "ZZ" }, "Country", "iso3166_1"},
		{"nationalities", func(c *coded) { c.Nationality = []string{"BF", "ML"} }, "", ""},
		{"bad nationality", func(c *coded) { c.Nationality = []string{"BF", "Mali"} }, "Nationality[1]", "iso3166_1"},
		{"named string type", func(c *coded) { c.Member = "BF" }, "", ""},
		{"named string type invalid", func(c *coded) { c.Member = "COORD" }, "Member", "iso3166_1"},
		{"not a string", func(c *coded) { c.NotAString = 42 }, "NotAString", "iso3166_1"},
		{"subdivision", func(c *coded) { c.Place = "CI-AB" }, "", ""},
		{"subdivision second level", func(c *coded) { c.Place = "BF-KAD" }, "", ""},
		{"subdivision unknown", func(c *coded) { c.Place = "BF-CEN" }, "Place", "iso3166_2"},
		{"subdivision is a country", func(c *coded) { c.Place = "CI" }, "Place", "iso3166_2"},
		{"subdivision slug", func(c *coded) { c.Place = "abidjan" }, "Place", "iso3166_2"},
		{"section", func(c *coded) { c.Section = "A" }, "", ""},
		{"section unknown", func(c *coded) { c.Section = "V" }, "Section", "isic_section"},
		{"section lower case", func(c *coded) { c.Section = "a" }, "Section", "isic_section"},
		{"division", func(c *coded) { c.Division = "01" }, "", ""},
		{"division unused number", func(c *coded) { c.Division = "04" }, "Division", "isic_division"},
		{"division one digit", func(c *coded) { c.Division = "1" }, "Division", "isic_division"},
		{"division class", func(c *coded) { c.Division = "0111" }, "Division", "isic_division"},
		{"class", func(c *coded) { c.Class = "0127" }, "", ""},
		{"class unknown", func(c *coded) { c.Class = "0120" }, "Class", "isic_class"},
		{"class is a division", func(c *coded) { c.Class = "01" }, "Class", "isic_class"},
		{"child indicators", func(c *coded) { c.ChildFL = []string{"recruitment_debt", "penalty_confinement"} }, "", ""},
		{"child indicator is an adult one", func(c *coded) { c.ChildFL = []string{"debt_bondage"} }, "ChildFL[0]", "child_fl_indicator"},
		{"methods of control", func(c *coded) { c.Control = []string{"debt_bondage", "uses_children"} }, "", ""},
		{"method of control unknown", func(c *coded) { c.Control = []string{"DebtBondage"} }, "Control[0]", "htcds_control"},
		{"exploitation", func(c *coded) { c.Exploit = []string{"child_labour", "forced_labour"} }, "", ""},
		{"exploitation unknown", func(c *coded) { c.Exploit = []string{"labour"} }, "Exploit[0]", "htcds_exploitation"},
		{"migration status", func(c *coded) { c.Migration = "asylum_seeker" }, "", ""},
		{"migration status old code", func(c *coded) { c.Migration = "unaccompanied_child" }, "", ""},
		{"migration status unknown", func(c *coded) { c.Migration = "tourist" }, "Migration", "migration_status"},
		{"interim care", func(c *coded) { c.Care = "foster_family" }, "", ""},
		{"interim care unknown", func(c *coded) { c.Care = "prison" }, "Care", "interim_care"},
		{"case system", func(c *coded) { c.System = "primero" }, "", ""},
		{"case system unknown", func(c *coded) { c.System = "Primero" }, "System", "case_system"},
		{"c182", func(c *coded) { c.C182 = "c182_3d" }, "", ""},
		{"c182 unknown", func(c *coded) { c.C182 = "c182_3e" }, "C182", "c182_category"},
		{"c182 letter only", func(c *coded) { c.C182 = "d" }, "C182", "c182_category"},
		{"hazards", func(c *coded) { c.Hazards = []string{"r190_3c", "r190_3d"} }, "", ""},
		{"hazard unknown", func(c *coded) { c.Hazards = []string{"machetes"} }, "Hazards[0]", "r190_hazard"},
		{"indicators", func(c *coded) { c.Indicators = []string{"deception", "debt_bondage"} }, "", ""},
		{"indicator unknown", func(c *coded) { c.Indicators = []string{"deception", "Debt bondage"} }, "Indicators[1]", "fl_indicator"},
		{"age method", func(c *coded) { c.AgeMethod = "dental" }, "", ""},
		{"age method unknown", func(c *coded) { c.AgeMethod = "guess" }, "AgeMethod", "age_method"},
		{"language", func(c *coded) { c.Language = "mos" }, "", ""},
		{"language region", func(c *coded) { c.Language = "fr-CI" }, "", ""},
		{"language garbage", func(c *coded) { c.Language = "french!" }, "Language", "bcp47"},
		{"language underscore", func(c *coded) { c.Language = "fr_CI" }, "Language", "bcp47"},
		{"language required", func(c *coded) { c.Required = "" }, "Required", "required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := base()
			tc.edit(&c)
			err := v.Struct(c)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("Struct = %v, want nil", err)
				}
				return
			}
			var verrs validator.ValidationErrors
			if !errors.As(err, &verrs) {
				t.Fatalf("Struct = %v, want validation errors", err)
			}
			if len(verrs) != 1 {
				t.Fatalf("Struct = %v, want one error", err)
			}
			if f := verrs[0].Field(); f != tc.wantField || verrs[0].Tag() != tc.wantTag {
				t.Errorf("error on %s (%s), want %s (%s)", f, verrs[0].Tag(), tc.wantField, tc.wantTag)
			}
		})
	}
}

// TestRegisterReplacesBuiltIn checks that iso3166_2 follows this package's
// list rather than validator's own (which lacks, for example, BI-MY and
// CD-BU), so that every code this package lists validates.
func TestRegisterReplacesBuiltIn(t *testing.T) {
	t.Parallel()
	v := validator.New()
	if err := Register(v); err != nil {
		t.Fatal(err)
	}
	for _, c := range Countries() {
		if err := v.Var(c.Alpha2, TagCountry); err != nil {
			t.Errorf("%s: %v", c.Alpha2, err)
		}
		for _, s := range Subdivisions(c.Alpha2) {
			if err := v.Var(s.Code, TagSubdivision); err != nil {
				t.Errorf("%s: %v", s.Code, err)
			}
		}
	}
}
