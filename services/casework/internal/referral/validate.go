package referral

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/pkg/validation"
)

// TagPartialDate is the validation tag for a date of birth known in part:
// "YYYY-MM-DD", "YYYY-MM" or "YYYY".
const TagPartialDate = validation.TagPartialDate

// Agency is what validation needs to know of an agency in the directory.
type Agency struct {
	// Services lists the service codes the agency offers. Empty means the
	// directory does not say, and any requested service is accepted.
	Services []string
}

// Directory answers whether an agency exists under a member. Agency
// returns a KindNotFound *corridor.Error for an agency (or member) the
// directory does not list, and any other error when it cannot say, such as
// when the directory has expired: then nothing is validated against it.
type Directory interface {
	Agency(ctx context.Context, member corridor.MemberCode, agency string) (Agency, error)
}

// Caller is the verified user filing a referral.
type Caller struct {
	Member corridor.MemberCode
	Agency string
	UserID string
	Roles  []corridor.Role
}

// Validator checks referral documents. It is safe for concurrent use once
// built.
type Validator struct {
	v   *validation.Validator
	now func() time.Time
}

// NewValidator returns a Validator on the process's shared validator (and
// so the corridor's code lists and tags). now is the clock dates are checked
// against.
func NewValidator(now func() time.Time) (*Validator, error) {
	v, err := validation.Default()
	if err != nil {
		return nil, fmt.Errorf("new referral validator: %w", err)
	}
	return &Validator{v: v, now: now}, nil
}

// Struct validates any request struct by its tags, with the same validator
// (and so the same tags) as referral documents, and refuses NUL characters
// in its strings as Validate does.
func (val *Validator) Struct(s any) error {
	fields, err := val.v.Fields(s)
	if err != nil {
		return err
	}
	fields = append(fields, NULFields(s)...)
	if len(fields) > 0 {
		return corridor.Invalid("The request has invalid fields.", dedupe(fields)...)
	}
	return nil
}

// Validate checks d as filed by caller: each field's own rules, the rules
// that span fields, the recipient against dir, and consent by
// cases.CheckConsent with any override attributed to caller. It returns a
// KindInvalid *corridor.Error naming every bad field, or the KindForbidden
// error of CheckConsent when caller may not override consent.
func (val *Validator) Validate(ctx context.Context, d *Document, caller Caller, dir Directory) error {
	fields, err := val.v.Fields(d)
	if err != nil {
		return err
	}
	fields = append(fields, NULFields(d)...)
	fields = append(fields, val.crossField(d)...)
	rf, err := recipientErrors(ctx, d, caller, dir)
	if err != nil {
		return err
	}
	fields = append(fields, rf...)

	if err := cases.CheckConsent(caseConsent(d.Consent, caller), consentRole(caller)); err != nil {
		var ce *corridor.Error
		if !errors.As(err, &ce) || ce.Kind != corridor.KindInvalid {
			return err
		}
		fields = append(fields, ce.Fields...)
	}
	if len(fields) > 0 {
		return corridor.Invalid("The referral has invalid fields.", dedupe(fields)...)
	}
	return nil
}

// ValidateGroups checks d, a stored document whose groups (by JSON name:
// "child", "consent", ...) a caller has just replaced, by the same rules
// as Validate except the recipient's, which did not change. It returns a
// KindInvalid *corridor.Error naming every bad field of those groups, or
// the KindForbidden error of CheckConsent when consent changed and caller
// may not override it. The other groups were checked when they were filed.
func (val *Validator) ValidateGroups(d *Document, caller Caller, groups []string) error {
	fields, err := val.v.Fields(d)
	if err != nil {
		return err
	}
	fields = append(fields, NULFields(d)...)
	fields = append(fields, val.crossField(d)...)
	if slices.Contains(groups, "consent") {
		if err := cases.CheckConsent(caseConsent(d.Consent, caller), consentRole(caller)); err != nil {
			var ce *corridor.Error
			if !errors.As(err, &ce) || ce.Kind != corridor.KindInvalid {
				return err
			}
			fields = append(fields, ce.Fields...)
		}
	}
	inGroups := fields[:0]
	for _, f := range fields {
		for _, g := range groups {
			if f.Field == g || strings.HasPrefix(f.Field, g+".") || strings.HasPrefix(f.Field, g+"[") {
				inGroups = append(inGroups, f)
				break
			}
		}
	}
	if len(inGroups) > 0 {
		return corridor.Invalid("The request has invalid fields.", dedupe(inGroups)...)
	}
	return nil
}

// crossField checks the rules that tags cannot express.
func (val *Validator) crossField(d *Document) []corridor.FieldError {
	var fields []corridor.FieldError
	today := val.now().UTC()
	if d.Child.DateOfBirth != "" {
		if dob, err := parsePartialDate(d.Child.DateOfBirth); err == nil && dob.After(today) {
			fields = append(fields, corridor.FieldError{Field: "child.date_of_birth", Message: "must not be in the future"})
		}
	}
	if t, err := time.Parse(time.RFC3339, d.Work.FoundAt); err == nil && t.After(today.Add(time.Hour)) {
		fields = append(fields, corridor.FieldError{Field: "work.found_at", Message: "must not be in the future"})
	}
	fields = append(fields, sectorErrors(d.Work.Sector)...)
	if w := d.Work; w.C182Category != "" && len(w.C182Categories) > 0 && !slices.Contains(w.C182Categories, w.C182Category) {
		fields = append(fields, corridor.FieldError{Field: "work.c182_category", Message: "must be one of work.c182_categories when both are given (c182_category is the older single form of the list)"})
	}
	if c := d.InterimCare; c != nil && c.Since != "" {
		if since, err := time.Parse(time.DateOnly, c.Since); err == nil && since.After(today) {
			fields = append(fields, corridor.FieldError{Field: "interim_care.since", Message: "must not be in the future"})
		}
	}
	seen := map[CaseID]bool{}
	for i, id := range d.NationalCaseIDs {
		if seen[id] {
			fields = append(fields, corridor.FieldError{Field: fmt.Sprintf("national_case_ids[%d]", i), Message: "must not repeat an identifier given earlier in the list"})
		}
		seen[id] = true
	}
	if d.Consent.GivenBy != "other" && d.Consent.GivenByOther != "" {
		fields = append(fields, corridor.FieldError{Field: "consent.given_by_other", Message: "must be given only when consent was given by someone other than the child or a caregiver"})
	}
	return fields
}

// sectorErrors checks that a division lies in the section and a class in
// the division, when they are given.
func sectorErrors(s Sector) []corridor.FieldError {
	var fields []corridor.FieldError
	if div, ok := codes.ISICDivision(s.Division); ok && s.Section != "" && div.Section != s.Section {
		fields = append(fields, corridor.FieldError{Field: "work.sector.division", Message: "must be a division of section " + s.Section})
	}
	class, ok := codes.ISICClass(s.Class)
	switch {
	case !ok:
	case s.Division != "" && class.Division != s.Division:
		fields = append(fields, corridor.FieldError{Field: "work.sector.class", Message: "must be a class of division " + s.Division})
	case s.Division == "" && s.Section != "":
		if div, ok := codes.ISICDivision(class.Division); ok && div.Section != s.Section {
			fields = append(fields, corridor.FieldError{Field: "work.sector.class", Message: "must be a class of section " + s.Section})
		}
	}
	return fields
}

// recipientErrors checks that the recipient is an agency of another member
// in the directory, offering the services requested.
func recipientErrors(ctx context.Context, d *Document, caller Caller, dir Directory) ([]corridor.FieldError, error) {
	member := corridor.MemberCode(d.Recipient.Member)
	switch {
	case d.Recipient.Member == "" || d.Recipient.Agency == "":
		return nil, nil // already reported as required
	case member == caller.Member:
		return []corridor.FieldError{{Field: "recipient.member", Message: "must be another member of the corridor than " + string(caller.Member)}}, nil
	case member == corridor.Coordinator:
		return []corridor.FieldError{{Field: "recipient.member", Message: "must be a member country, not the coordinator"}}, nil
	}
	agency, err := dir.Agency(ctx, member, d.Recipient.Agency)
	if corridor.KindOf(err) == corridor.KindNotFound {
		return []corridor.FieldError{{Field: "recipient.agency", Message: "must be an agency of the recipient member in the corridor directory"}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look up recipient agency: %w", err)
	}
	if len(agency.Services) == 0 {
		return nil, nil
	}
	var fields []corridor.FieldError
	for i, s := range d.RequestedServices {
		if s != "" && !slices.Contains(agency.Services, s) {
			fields = append(fields, corridor.FieldError{
				Field:   fmt.Sprintf("requested_services[%d]", i),
				Message: "must be a service the recipient agency offers: " + strings.Join(agency.Services, ", "),
			})
		}
	}
	return fields, nil
}

// caseConsent is the consent in the shape pkg/cases rules on, with an
// override attributed to the caller: who overrode is never taken from the
// body.
func caseConsent(c Consent, caller Caller) cases.Consent {
	out := cases.Consent{
		GivenBy:       cases.ConsentGiver(c.GivenBy),
		ToServices:    c.ToServices,
		ToShareAbroad: c.ToShareAbroad,
		LegalBasis:    c.LegalBasis,
	}
	if c.Override != nil {
		out.Override = &cases.ConsentOverride{By: caller.UserID, Role: consentRole(caller), Reason: c.Override.Reason}
	}
	return out
}

// consentRole is the role the caller acts in for consent: supervisor when
// the policy lets them override consent, since only that role's override
// counts (pkg/cases checks the record, on both sides of the border).
func consentRole(caller Caller) corridor.Role {
	if policy.Allowed(caller.Roles, policy.OverrideConsent, policy.NoCase) {
		return corridor.RoleSupervisor
	}
	if len(caller.Roles) > 0 {
		return caller.Roles[0]
	}
	return ""
}

// dedupe keeps the first message for each field.
func dedupe(fields []corridor.FieldError) []corridor.FieldError {
	seen := make(map[string]bool, len(fields))
	out := make([]corridor.FieldError, 0, len(fields))
	for _, f := range fields {
		if !seen[f.Field] {
			seen[f.Field] = true
			out = append(out, f)
		}
	}
	return out
}

// parsePartialDate reads "YYYY-MM-DD", "YYYY-MM" or "YYYY" and returns the
// earliest day it can mean.
func parsePartialDate(s string) (time.Time, error) { return validation.ParsePartialDate(s) }

// AgeAt returns the child's age in completed years at t, from the date of
// birth when known (a partial date is taken at its earliest, which can only
// overstate the age by less than a year) or else the recorded age; -1 when
// neither is known.
func (c Child) AgeAt(t time.Time) int {
	if c.DateOfBirth != "" {
		if dob, err := parsePartialDate(c.DateOfBirth); err == nil {
			age := t.Year() - dob.Year()
			if t.Month() < dob.Month() || (t.Month() == dob.Month() && t.Day() < dob.Day()) {
				age-- // no birthday yet this year
			}
			return max(age, 0)
		}
	}
	if c.AgeYears != nil {
		return *c.AgeYears
	}
	return -1
}

// AgeBand is the coarse age band the coordinator may see.
func (c Child) AgeBand(t time.Time) string { return cases.AgeBand(c.AgeAt(t)) }
