package codes

import (
	"fmt"
	"reflect"

	"github.com/go-playground/validator/v10"
)

// The validation tags Register adds. They apply to strings (and types whose
// underlying type is string); use "dive,<tag>" for slices.
const (
	TagCountry               = "iso3166_1"
	TagSubdivision           = "iso3166_2"
	TagISICSection           = "isic_section"
	TagISICDivision          = "isic_division"
	TagISICClass             = "isic_class"
	TagC182Category          = "c182_category"
	TagHazard                = "r190_hazard"
	TagForcedLabourIndicator = "fl_indicator"
	TagChildFLIndicator      = "child_fl_indicator"
	TagMethodOfControl       = "htcds_control"
	TagExploitationType      = "htcds_exploitation"
	TagMigrationStatus       = "migration_status"
	TagInterimCare           = "interim_care"
	TagCaseSystem            = "case_system"
	TagAgeMethod             = "age_method"
	TagLanguage              = "bcp47"
)

// rule is a validation tag and the check it stands for.
type rule struct {
	tag   string
	valid func(string) bool
}

// Register adds this package's tags to v. It replaces validator's own
// iso3166_2, whose list differs from the one this package serves, so that a
// code that validates can always be looked up. Register v before using it
// from several goroutines: validator's registration is not safe for
// concurrent use.
func Register(v *validator.Validate) error {
	rules := []rule{
		{TagCountry, func(s string) bool { _, ok := Country(s); return ok }},
		{TagSubdivision, func(s string) bool { _, ok := Subdivision(s); return ok }},
		{TagISICSection, func(s string) bool { _, ok := ISICSection(s); return ok }},
		{TagISICDivision, func(s string) bool { _, ok := ISICDivision(s); return ok }},
		{TagISICClass, func(s string) bool { _, ok := ISICClass(s); return ok }},
		{TagC182Category, func(s string) bool { _, ok := C182Category(s); return ok }},
		{TagHazard, func(s string) bool { _, ok := Hazard(s); return ok }},
		{TagForcedLabourIndicator, func(s string) bool { _, ok := ForcedLabourIndicator(s); return ok }},
		{TagChildFLIndicator, func(s string) bool { _, ok := ChildForcedLabourIndicator(s); return ok }},
		{TagMethodOfControl, func(s string) bool { _, ok := MethodOfControl(s); return ok }},
		{TagExploitationType, func(s string) bool { _, ok := ExploitationType(s); return ok }},
		{TagMigrationStatus, func(s string) bool { _, ok := MigrationStatus(s); return ok }},
		{TagInterimCare, func(s string) bool { _, ok := InterimCareType(s); return ok }},
		{TagCaseSystem, func(s string) bool { _, ok := CaseSystem(s); return ok }},
		{TagAgeMethod, func(s string) bool { _, ok := AgeMethod(s); return ok }},
		{TagLanguage, func(s string) bool { _, err := Language(s); return err == nil }},
	}
	rules = append(rules, lifecycleRules()...)
	for _, r := range rules {
		valid := r.valid
		fn := func(fl validator.FieldLevel) bool {
			f := fl.Field()
			return f.Kind() == reflect.String && valid(f.String())
		}
		if err := v.RegisterValidation(r.tag, fn); err != nil {
			return fmt.Errorf("register validation %s: %w", r.tag, err)
		}
	}
	return nil
}
