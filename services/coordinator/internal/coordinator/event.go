package coordinator

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/canonical"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/signing"
	"github.com/corridor-org/corridor/pkg/validation"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
)

// MaxEventSize is the largest signed tracking event accepted, in bytes. An
// event is a dozen short codes; anything near this size is not one.
const MaxEventSize = 4 << 10

// maxClockSkew is how far in the future an event's time may be: relays'
// clocks disagree a little, never by hours.
const maxClockSkew = time.Hour

// Reason says why an event was refused. The set is closed and carries no
// data, so it is safe as a metric label.
type Reason string

// The reasons.
const (
	ReasonMalformed     Reason = "malformed"      // does not parse
	ReasonTooLarge      Reason = "too_large"      // over MaxEventSize
	ReasonUnknownKey    Reason = "unknown_key"    // a key id the directory does not list for the signer
	ReasonUnknownSender Reason = "unknown_sender" // the signer is not a member
	ReasonBadSignature  Reason = "bad_signature"  // altered or forged
	ReasonInvalid       Reason = "invalid"        // verified, but not codes the corridor knows
	ReasonRouteMismatch Reason = "route_mismatch" // the subject, the signer and the event disagree
	ReasonGaveUp        Reason = "gave_up"        // failed on every delivery attempt
)

// Reasons returns every reason.
func Reasons() []Reason {
	return []Reason{ReasonMalformed, ReasonTooLarge, ReasonUnknownKey, ReasonUnknownSender,
		ReasonBadSignature, ReasonInvalid, ReasonRouteMismatch, ReasonGaveUp}
}

// Rejection is an event to quarantine, and why.
type Rejection struct {
	Reason Reason
	Err    error
	// Member and EventID are what the event claimed, when it could be read.
	Member  string
	EventID string
}

func (e *Rejection) Error() string { return fmt.Sprintf("%s: %v", e.Reason, e.Err) }
func (e *Rejection) Unwrap() error { return e.Err }

// Event is a verified, validated tracking event.
type Event struct {
	EventID         string              `json:"event_id" validate:"required,code"`
	Corridor        string              `json:"corridor" validate:"required,code"`
	CaseRef         string              `json:"case_ref" validate:"required,code"`
	ReferralID      string              `json:"referral_id" validate:"required,code"`
	Milestone       string              `json:"milestone" validate:"required,milestone"`
	Member          corridor.MemberCode `json:"member" validate:"required,member"`
	SenderMember    corridor.MemberCode `json:"sender_member" validate:"required,member"`
	SenderAgency    string              `json:"sender_agency" validate:"required,code"`
	RecipientMember corridor.MemberCode `json:"recipient_member" validate:"required,member,nefield=SenderMember"`
	RecipientAgency string              `json:"recipient_agency" validate:"required,code"`
	At              time.Time           `json:"at" validate:"required"`
	Sector          string              `json:"sector" validate:"omitempty,isic_section"`
	AgeBand         string              `json:"age_band" validate:"omitempty,age_band"`
	Sex             string              `json:"sex" validate:"omitempty,oneof=female male other unknown"`
	// IdentifiedAt is when the child was identified (referral_sent); zero
	// when not reported.
	IdentifiedAt time.Time `json:"identified_at,omitzero"`
	// ServiceType is a recorded service's type, from the service-type list.
	ServiceType string `json:"service_type,omitempty" validate:"omitempty,service_type"`
	// A follow-up's outcome flags: "yes", "no", "unknown", or "" when not
	// reported.
	AtHome       string `json:"at_home,omitempty" validate:"omitempty,oneof=yes no unknown"`
	InSchool     string `json:"in_school,omitempty" validate:"omitempty,oneof=yes no unknown"`
	StillWorking string `json:"still_working,omitempty" validate:"omitempty,oneof=yes no unknown"`
	AtRisk       string `json:"at_risk,omitempty" validate:"omitempty,oneof=yes no unknown"`
	// ClosureReason is a closed case's reason code ("reunified").
	ClosureReason string `json:"closure_reason,omitempty" validate:"omitempty,reason_code"`
	// PreviousReferralID is the referral a re-referral follows.
	PreviousReferralID string `json:"previous_referral_id,omitempty" validate:"omitempty,code,nefield=ReferralID"`
}

// answerCode is the event's answer as the coordinator stores it; a number
// the enum does not define stays a number, which validation refuses.
func answerCode(a trackingv1.Answer) string {
	switch a {
	case trackingv1.Answer_ANSWER_UNSPECIFIED:
		return ""
	case trackingv1.Answer_ANSWER_YES:
		return "yes"
	case trackingv1.Answer_ANSWER_NO:
		return "no"
	case trackingv1.Answer_ANSWER_UNKNOWN:
		return "unknown"
	}
	return strconv.Itoa(int(a))
}

// verifier checks signed tracking events against the directory.
type verifier struct {
	validate *validation.Validator
	now      func() time.Time
}

// Verify checks data, a serialized SignedTrackingEvent that arrived from
// the member whose JetStream domain is from, and returns the event. It
// returns a *Rejection for an event to quarantine, and any other error for a
// failure of the check itself (try again later).
func (v *verifier) Verify(dir *directory.Directory, from string, data []byte) (Event, error) {
	reject := func(reason Reason, member, eventID string, format string, args ...any) (Event, error) {
		return Event{}, &Rejection{Reason: reason, Err: fmt.Errorf(format, args...), Member: member, EventID: eventID}
	}
	if len(data) > MaxEventSize {
		return reject(ReasonTooLarge, "", "", "signed event of %d bytes, over %d", len(data), MaxEventSize)
	}
	var signed trackingv1.SignedTrackingEvent
	if err := proto.Unmarshal(data, &signed); err != nil {
		return reject(ReasonMalformed, "", "", "parse signed event: %v", err)
	}
	if len(signed.ProtoReflect().GetUnknown()) > 0 {
		return reject(ReasonMalformed, "", "", "signed event has fields this version does not know")
	}
	// One event, one byte string: what a relay signs and sends is canonical.
	if err := canonical.Check(data, &signed); err != nil {
		return reject(ReasonMalformed, "", "", "signed event: %v", err)
	}
	member := corridor.MemberCode(signed.GetMember())
	if !corridor.IsCode(string(member)) {
		return reject(ReasonMalformed, "", "", "signed event has no valid member")
	}
	if _, err := dir.Member(member); err != nil {
		return reject(ReasonUnknownSender, string(member), "", "signer %s is not a member of the corridor", member)
	}
	if member.Domain() != from {
		return reject(ReasonRouteMismatch, string(member), "", "event signed by %s arrived from %s", member, from)
	}
	err := signing.VerifyFrom(dir, member, signed.GetKeyId(), signing.PurposeTracking, signed.GetEvent(), signed.GetSignature())
	switch {
	case errors.Is(err, signing.ErrUnknownKey):
		return reject(ReasonUnknownKey, string(member), "", "verify event of %s: %v", member, err)
	case errors.Is(err, signing.ErrBadSignature):
		return reject(ReasonBadSignature, string(member), "", "verify event of %s: %v", member, err)
	case err != nil:
		return Event{}, fmt.Errorf("verify event of %s: %w", member, err)
	}

	var pe trackingv1.TrackingEvent
	if err := proto.Unmarshal(signed.GetEvent(), &pe); err != nil {
		return reject(ReasonMalformed, string(member), "", "parse event of %s: %v", member, err)
	}
	if len(pe.ProtoReflect().GetUnknown()) > 0 {
		return reject(ReasonMalformed, string(member), "", "event of %s has fields this version does not know", member)
	}
	if err := canonical.Check(signed.GetEvent(), &pe); err != nil {
		return reject(ReasonMalformed, string(member), "", "event of %s: %v", member, err)
	}
	eventID := ""
	if corridor.IsCode(pe.GetEventId()) {
		eventID = pe.GetEventId()
	}
	if pe.GetMember() != string(member) {
		return reject(ReasonRouteMismatch, string(member), eventID, "event signed by %s names another member as its reporter", member)
	}
	ev := Event{
		EventID:            pe.GetEventId(),
		Corridor:           pe.GetCorridor(),
		CaseRef:            pe.GetCaseRef(),
		ReferralID:         pe.GetReferralId(),
		Milestone:          pe.GetMilestone(),
		Member:             member,
		SenderMember:       corridor.MemberCode(pe.GetSenderMember()),
		SenderAgency:       pe.GetSenderAgency(),
		RecipientMember:    corridor.MemberCode(pe.GetRecipientMember()),
		RecipientAgency:    pe.GetRecipientAgency(),
		Sector:             pe.GetSector(),
		AgeBand:            pe.GetAgeBand(),
		Sex:                pe.GetSex(),
		ServiceType:        pe.GetServiceType(),
		AtHome:             answerCode(pe.GetAtHome()),
		InSchool:           answerCode(pe.GetInSchool()),
		StillWorking:       answerCode(pe.GetStillWorking()),
		AtRisk:             answerCode(pe.GetAtRisk()),
		ClosureReason:      pe.GetClosureReason(),
		PreviousReferralID: pe.GetPreviousReferralId(),
	}
	if pe.GetAt() > 0 {
		ev.At = time.UnixMicro(pe.GetAt()).UTC()
	}
	if pe.GetIdentifiedAt() != 0 {
		ev.IdentifiedAt = time.UnixMicro(pe.GetIdentifiedAt()).UTC()
	}
	if err := v.validate.Check("invalid event", ev); corridor.KindOf(err) == corridor.KindInvalid {
		// The message names fields and rules, never values.
		return reject(ReasonInvalid, string(member), eventID, "event of %s: %s", member, describeFields(err))
	} else if err != nil {
		return Event{}, fmt.Errorf("validate event of %s: %w", member, err)
	}
	var problems []corridor.FieldError
	if ev.Corridor != dir.Corridor {
		problems = append(problems, corridor.FieldError{Field: "corridor", Message: "must be " + dir.Corridor})
	}
	if ev.Member != ev.SenderMember && ev.Member != ev.RecipientMember {
		problems = append(problems, corridor.FieldError{Field: "member", Message: "must be the referral's sender or recipient"})
	}
	if _, err := dir.Agency(ev.SenderMember, ev.SenderAgency); err != nil {
		problems = append(problems, corridor.FieldError{Field: "sender_agency", Message: "must be an agency of the sender in the directory"})
	}
	if _, err := dir.Agency(ev.RecipientMember, ev.RecipientAgency); err != nil {
		problems = append(problems, corridor.FieldError{Field: "recipient_agency", Message: "must be an agency of the recipient in the directory"})
	}
	if ev.At.After(v.now().Add(maxClockSkew)) {
		problems = append(problems, corridor.FieldError{Field: "at", Message: "must not be in the future"})
	}
	// A child is identified before being referred, and after 1970.
	if id := ev.IdentifiedAt; !id.IsZero() && (id.After(ev.At) || id.Unix() <= 0) {
		problems = append(problems, corridor.FieldError{Field: "identified_at", Message: "must be before the event"})
	}
	if len(problems) > 0 {
		return reject(ReasonInvalid, string(member), eventID, "event of %s: %s", member,
			describeFields(corridor.Invalid("invalid event", problems...)))
	}
	return ev, nil
}

// describeFields lists the fields of a validation error with their rules.
func describeFields(err error) string {
	var ce *corridor.Error
	if !errors.As(err, &ce) || len(ce.Fields) == 0 {
		return "invalid"
	}
	s := ""
	for i, f := range ce.Fields {
		if i > 0 {
			s += "; "
		}
		s += f.Field + " " + f.Message
	}
	return s
}
