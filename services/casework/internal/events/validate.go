package events

import (
	"fmt"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/codes"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/validation"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

// Validator checks event bodies: each field by its tags, NUL characters in
// any string, and the rules between fields. It is safe for concurrent use.
type Validator struct {
	v   *validation.Validator
	now func() time.Time
}

// NewValidator returns a Validator on the process's shared validator. now
// is the clock dates are checked against.
func NewValidator(now func() time.Time) (*Validator, error) {
	v, err := validation.Default()
	if err != nil {
		return nil, fmt.Errorf("new event validator: %w", err)
	}
	return &Validator{v: v, now: now}, nil
}

// Validate returns a KindInvalid *corridor.Error naming every bad field of
// b, or nil.
func (val *Validator) Validate(b Body) error {
	var fields []corridor.FieldError
	tagged, err := val.v.Fields(b)
	if err != nil {
		return err
	}
	fields = append(fields, tagged...)
	fields = append(fields, referral.NULFields(b)...)
	fields = append(fields, uniqueQuestions(b)...)
	fields = append(fields, statusChangeReason(b)...)
	if len(fields) == 0 {
		fields = val.crossField(b)
	}
	if len(fields) > 0 {
		return corridor.Invalid("The request has invalid fields.", fields...)
	}
	return nil
}

// CheckReceived checks a body that arrived from the other side: each field
// by its tags, NUL characters, and the fields the other side's casework
// must have set. The rules against the clock are not applied: the two
// countries' clocks differ, and the other side checked them when its user
// acted.
func (val *Validator) CheckReceived(b Body) error {
	var fields []corridor.FieldError
	tagged, err := val.v.Fields(withoutOverrideAuthor(b))
	if err != nil {
		return err
	}
	fields = append(fields, tagged...)
	fields = append(fields, referral.NULFields(b)...)
	fields = append(fields, statusChangeReason(b)...)
	missing := func(field string) { fields = append(fields, corridor.FieldError{Field: field, Message: "is required"}) }
	switch b := b.(type) {
	case *RequestInfo:
		if !corridor.IsCode(b.RequestID) {
			missing("request_id")
		}
		for i, q := range b.Items {
			if q.ID == "" {
				missing(fmt.Sprintf("items[%d].id", i))
			}
		}
	case *PlanHandover:
		if b.Revision < 1 {
			missing("revision")
		}
	case *RespondInfo:
		if c := b.Consent; c != nil && c.Override != nil && c.Override.By == "" {
			missing("consent.override.by")
		}
	case *RecordService:
		if b.ServiceID == "" {
			missing("service_id")
		}
	case *RecordFollowUp:
		if !corridor.IsCode(b.FollowUpID) {
			missing("follow_up_id")
		}
	}
	if len(fields) > 0 {
		names := make([]string, 0, len(fields))
		for _, f := range fields {
			names = append(names, f.Field)
		}
		// Field names only: the values may be personal data.
		return corridor.Errorf(corridor.KindInvalid, "%s", strings.Join(names, ", "))
	}
	return nil
}

// withoutOverrideAuthor returns b with who overrode consent, and when,
// left out of a corrected consent group: the sending casework sets them
// from its verified caller, where a user's body may not.
func withoutOverrideAuthor(b Body) Body {
	ri, ok := b.(*RespondInfo)
	if !ok || ri.Consent == nil || ri.Consent.Override == nil {
		return b
	}
	out, consent, override := *ri, *ri.Consent, *ri.Consent.Override
	override.By, override.Role, override.DecidedAt = "", "", ""
	consent.Override = &override
	out.Consent = &consent
	return &out
}

// crossField checks what tags cannot: dates against each other and the
// clock. Fields are already known to be well formed.
func (val *Validator) crossField(b Body) []corridor.FieldError {
	today := val.now().UTC().Format(DateLayout)
	switch b := b.(type) {
	case *RecordService:
		if b.StartDate != "" && b.EndDate != "" && b.EndDate < b.StartDate {
			return []corridor.FieldError{{Field: "end_date", Message: "must not be before start_date"}}
		}
	case *RecordFollowUp:
		if b.Date > today {
			return []corridor.FieldError{{Field: "date", Message: "must not be in the future"}}
		}
	case *RequestInfo:
		if b.RespondBy != "" && b.RespondBy < today {
			return []corridor.FieldError{{Field: "respond_by", Message: "must not be in the past"}}
		}
	case *PlanHandover:
		// A plan is for what is still to happen; a handover that happened
		// is confirmed (confirm_handover's handed_over_at), not planned.
		if t, err := time.Parse(time.RFC3339, b.PlannedFor); err == nil && t.Before(val.now()) {
			return []corridor.FieldError{{Field: "planned_for", Message: "must not be in the past"}}
		}
	case *ConfirmHandover:
		if b.HandedOverAt != "" {
			t, _ := time.Parse(time.RFC3339, b.HandedOverAt)
			if t.After(val.now().Add(time.Hour)) {
				return []corridor.FieldError{{Field: "handed_over_at", Message: "must not be in the future"}}
			}
		}
	}
	return nil
}

// uniqueQuestions refuses two questions of a request with the same id.
func uniqueQuestions(b Body) []corridor.FieldError {
	req, ok := b.(*RequestInfo)
	if !ok {
		return nil
	}
	var fields []corridor.FieldError
	seen := map[string]bool{}
	for i, q := range req.Items {
		if q.ID != "" && seen[q.ID] {
			fields = append(fields, corridor.FieldError{Field: fmt.Sprintf("items[%d].id", i), Message: "must differ from the other questions' ids"})
		}
		seen[q.ID] = true
	}
	return fields
}

// statusChangeReason checks a StatusChange's reason against its event's
// list: required where the event needs a reason, and a note with "other".
func statusChangeReason(b Body) []corridor.FieldError {
	sc, ok := b.(*StatusChange)
	if !ok {
		return nil
	}
	needed, ok := statusChanges[sc.Of]
	if !ok {
		return []corridor.FieldError{{Field: "event", Message: "is not an event a status change records"}}
	}
	switch {
	case sc.ReasonCode == "" && needed:
		return []corridor.FieldError{{Field: "reason_code", Message: "is required"}}
	case sc.ReasonCode == "":
	case !validReason(sc.Of, sc.ReasonCode):
		names := []string{}
		for _, e := range codes.StatusChangeReasons(string(sc.Of)) {
			names = append(names, e.Code)
		}
		return []corridor.FieldError{{Field: "reason_code", Message: "must be one of: " + strings.Join(names, ", ")}}
	case sc.ReasonCode == "other" && strings.TrimSpace(sc.Note) == "":
		return []corridor.FieldError{{Field: "note", Message: "is required when the reason is other"}}
	}
	return nil
}

func validReason(ev cases.Event, code string) bool {
	_, ok := codes.StatusChangeReason(string(ev), code)
	return ok
}
