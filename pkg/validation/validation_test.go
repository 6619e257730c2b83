package validation

import (
	"errors"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
)

type vLanguage struct {
	Code string `json:"code" validate:"required,bcp47_language_tag"`
}

type vGuardian struct {
	Relation string `json:"relation" validate:"required,oneof=mother father aunt other"`
	Email    string `json:"email,omitempty" validate:"omitempty,email"`
}

type vChild struct {
	Sex       string               `json:"sex" validate:"required,oneof=female male"`
	BirthDate string               `json:"birth_date" validate:"omitempty,datetime=2006-01-02"`
	Name      string               `json:"name" validate:"min=2,max=5"`
	Languages []vLanguage          `json:"languages" validate:"required,min=1,max=2,dive"`
	Guardians map[string]vGuardian `json:"guardians" validate:"dive"`
	Country   string               `json:"country" validate:"iso3166_1_alpha2"`
	Sector    string               `json:"sector" validate:"isic_section"`
	Hours     int                  `json:"hours_per_week" validate:"gte=0,lte=168"`
	Code      string               `json:"code" validate:"len=4"`
	NoTag     string               `validate:"required"`
}

type vReferral struct {
	Child   vChild   `json:"child" validate:"required"`
	Reason  string   `json:"reason" validate:"required"`
	Hazards []string `json:"hazards" validate:"unique,dive,oneof=machetes loads"`
	Ignored string   `json:"-" validate:"required"`
}

func validReferral() vReferral {
	return vReferral{
		Child: vChild{
			Sex: "female", BirthDate: "2012-03-04", Name: "Awa",
			Languages: []vLanguage{{Code: "fr"}},
			Guardians: map[string]vGuardian{"g1": {Relation: "mother"}},
			Country:   "CI", Sector: "A", Hours: 10, Code: "0111", NoTag: "x",
		},
		Reason:  "hazardous work",
		Hazards: []string{"machetes"},
		Ignored: "x",
	}
}

func newTestValidator(t *testing.T) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func TestCheck(t *testing.T) {
	t.Parallel()
	v := newTestValidator(t)
	tests := []struct {
		name   string
		mutate func(r *vReferral)
		want   map[string]string // field -> message
	}{
		{"valid", func(*vReferral) {}, nil},
		{"required top-level", func(r *vReferral) { r.Reason = "" }, map[string]string{"reason": "is required"}},
		{"oneof nested", func(r *vReferral) { r.Child.Sex = "x" }, map[string]string{"child.sex": "must be one of: female, male"}},
		{"datetime", func(r *vReferral) { r.Child.BirthDate = "04/03/2012" }, map[string]string{"child.birth_date": "must be a date or time in the form 2006-01-02"}},
		{"string min", func(r *vReferral) { r.Child.Name = "A" }, map[string]string{"child.name": "must be at least 2 characters long"}},
		{"string max", func(r *vReferral) { r.Child.Name = "Aminata" }, map[string]string{"child.name": "must be at most 5 characters long"}},
		{"slice min", func(r *vReferral) { r.Child.Languages = []vLanguage{} }, map[string]string{"child.languages": "must be at least 1 items"}},
		{"slice max", func(r *vReferral) { r.Child.Languages = []vLanguage{{"fr"}, {"en"}, {"mos"}} }, map[string]string{"child.languages": "must be at most 2 items"}},
		{"slice element", func(r *vReferral) { r.Child.Languages = []vLanguage{{"fr"}, {""}} }, map[string]string{"child.languages[1].code": "is required"}},
		{"bcp47", func(r *vReferral) { r.Child.Languages = []vLanguage{{"not a tag"}} }, map[string]string{"child.languages[0].code": "must be a valid BCP 47 language tag"}},
		{"map element", func(r *vReferral) { r.Child.Guardians = map[string]vGuardian{"g1": {Relation: "boss"}} }, map[string]string{"child.guardians[g1].relation": "must be one of: mother, father, aunt, other"}},
		{"email", func(r *vReferral) { r.Child.Guardians = map[string]vGuardian{"g1": {Relation: "aunt", Email: "nope"}} }, map[string]string{"child.guardians[g1].email": "must be a valid email address"}},
		{"country", func(r *vReferral) { r.Child.Country = "XX" }, map[string]string{"child.country": "must be a valid ISO 3166-1 alpha-2 country code"}},
		{"custom tag", func(r *vReferral) { r.Child.Sector = "AB" }, map[string]string{"child.sector": "must be an ISIC Rev.4 section"}},
		{"number bound", func(r *vReferral) { r.Child.Hours = 200 }, map[string]string{"child.hours_per_week": "must be at most 168"}},
		{"len", func(r *vReferral) { r.Child.Code = "01" }, map[string]string{"child.code": "must be exactly 4 characters long"}},
		{"field without json tag", func(r *vReferral) { r.Child.NoTag = "" }, map[string]string{"child.NoTag": "is required"}},
		{"slice of strings", func(r *vReferral) { r.Hazards = []string{"machetes", "fire"} }, map[string]string{"hazards[1]": "must be one of: machetes, loads"}},
		{"unique", func(r *vReferral) { r.Hazards = []string{"loads", "loads"} }, map[string]string{"hazards": "must not contain duplicates"}},
		{"json-ignored field by Go name", func(r *vReferral) { r.Ignored = "" }, map[string]string{"Ignored": "is required"}},
		{"several at once", func(r *vReferral) { r.Reason = ""; r.Child.Sex = "" }, map[string]string{"reason": "is required", "child.sex": "is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := validReferral()
			tt.mutate(&r)
			err := v.Check("The request has invalid fields.", &r)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			var ce *corridor.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Check() = %v, want *corridor.Error", err)
			}
			if ce.Kind != corridor.KindInvalid {
				t.Errorf("kind %q, want invalid", ce.Kind)
			}
			got := map[string]string{}
			for _, f := range ce.Fields {
				got[f.Field] = f.Message
			}
			if len(got) != len(tt.want) {
				t.Errorf("fields = %v, want %v", got, tt.want)
			}
			for field, msg := range tt.want {
				if got[field] != msg {
					t.Errorf("field %q: message %q, want %q (all: %v)", field, got[field], msg, got)
				}
			}
		})
	}
}

func TestCheckNeverEchoesValues(t *testing.T) {
	t.Parallel()
	v := newTestValidator(t)
	r := validReferral()
	r.Child.Sex = "Awa Traoré"
	r.Child.Name = "Awa Traoré, born in Man"
	err := v.Check("The request has invalid fields.", &r)
	var ce *corridor.Error
	if !errors.As(err, &ce) {
		t.Fatalf("Check() = %v, want *corridor.Error", err)
	}
	for _, f := range ce.Fields {
		if strings.Contains(f.Message, "Awa") {
			t.Errorf("message %q repeats the value", f.Message)
		}
	}
	if strings.Contains(ce.Message, "Awa") {
		t.Errorf("message %q repeats the value", ce.Message)
	}
}

func TestCheckProgrammerError(t *testing.T) {
	t.Parallel()
	err := newTestValidator(t).Check("invalid", nil)
	if err == nil || corridor.KindOf(err) != corridor.KindInternal {
		t.Errorf("Check(nil) = %v, want an internal error", err)
	}
}

func TestNamespacePath(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Referral.child.languages[0]": "child.languages[0]",
		"Referral.reason":             "reason",
		"Referral":                    "Referral",
	}
	for in, want := range tests {
		if got := namespacePath(in); got != want {
			t.Errorf("namespacePath(%q) = %q, want %q", in, got, want)
		}
	}
}
