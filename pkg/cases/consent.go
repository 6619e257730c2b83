package cases

import (
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// ConsentGiver is who gave consent to a referral.
type ConsentGiver string

// The consent givers. Only the child's or a caregiver's consent lets a
// referral leave the country; consent recorded from anyone else is kept but
// needs a supervisor's override as well.
const (
	ConsentByChild     ConsentGiver = "child"
	ConsentByCaregiver ConsentGiver = "caregiver"
	ConsentByOther     ConsentGiver = "other"
)

// Consent is the consent recorded for a referral. It travels only inside the
// encrypted referral; the coordinator never sees it.
type Consent struct {
	GivenBy       ConsentGiver     `json:"given_by,omitempty"`    // empty when no consent could be obtained
	ToServices    bool             `json:"to_services"`           // to receiving services from the recipient agency
	ToShareAbroad bool             `json:"to_share_abroad"`       // to sharing the case with authorities in another country
	Withheld      string           `json:"withheld,omitempty"`    // information withheld from the referral, and why
	LegalBasis    string           `json:"legal_basis,omitempty"` // the law the sharing relies on
	Override      *ConsentOverride `json:"override,omitempty"`    // a supervisor's best-interests override
}

// ConsentOverride is a supervisor's decision that the referral goes ahead
// without the consent it needs, in the child's best interests. By and Role
// must come from the verified identity of the user who made it, never from a
// request body.
type ConsentOverride struct {
	By     string        `json:"by"`     // the supervisor's user id at their own identity provider
	Role   corridor.Role `json:"role"`   // their corridor role when they overrode
	Reason string        `json:"reason"` // why the referral is in the child's best interests
}

// CheckConsent reports whether consent c lets a referral be sent. It needs
// consent from the child or a caregiver that includes sharing with
// authorities abroad, or a supervisor's override with a reason. actorRole is
// the role of the user submitting c now; only a supervisor may submit an
// override. To re-check an override recorded earlier by someone else, pass
// c.Override.Role.
//
// The error is a *corridor.Error: KindForbidden when actorRole may not
// override, KindInvalid otherwise, with fields named by their JSON path
// under "consent".
func CheckConsent(c Consent, actorRole corridor.Role) error {
	var fields []corridor.FieldError
	switch c.GivenBy {
	case "", ConsentByChild, ConsentByCaregiver, ConsentByOther:
	default:
		fields = append(fields, corridor.FieldError{Field: "consent.given_by", Message: "must be child, caregiver or other"})
	}
	if o := c.Override; o != nil {
		if actorRole != corridor.RoleSupervisor {
			return &corridor.Error{
				Kind:    corridor.KindForbidden,
				Message: "only a supervisor may override consent",
				Fields:  []corridor.FieldError{{Field: "consent.override", Message: "only a supervisor may override consent"}},
			}
		}
		if strings.TrimSpace(o.By) == "" {
			fields = append(fields, corridor.FieldError{Field: "consent.override.by", Message: "must name the supervisor who overrode"})
		}
		if o.Role != corridor.RoleSupervisor {
			fields = append(fields, corridor.FieldError{Field: "consent.override.role", Message: "must be supervisor"})
		}
		if strings.TrimSpace(o.Reason) == "" {
			fields = append(fields, corridor.FieldError{Field: "consent.override.reason", Message: "must give the reason for overriding consent"})
		}
	} else {
		if c.GivenBy != ConsentByChild && c.GivenBy != ConsentByCaregiver {
			fields = append(fields, corridor.FieldError{Field: "consent.given_by", Message: "consent must come from the child or a caregiver, or be overridden by a supervisor"})
		}
		if !c.ToShareAbroad {
			fields = append(fields, corridor.FieldError{Field: "consent.to_share_abroad", Message: "consent must include sharing with authorities abroad, or be overridden by a supervisor"})
		}
	}
	if len(fields) > 0 {
		return corridor.Invalid("consent does not allow this referral", dedupe(fields)...)
	}
	return nil
}

// dedupe keeps the first error for each field, so that an unknown giver is
// reported once.
func dedupe(fields []corridor.FieldError) []corridor.FieldError {
	seen := map[string]bool{}
	out := fields[:0]
	for _, f := range fields {
		if !seen[f.Field] {
			seen[f.Field] = true
			out = append(out, f)
		}
	}
	return out
}
