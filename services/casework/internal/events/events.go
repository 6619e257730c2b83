// Package events holds what each event of a referral's life records, as
// plain Go values: the body a user posts to cause it, what its message
// carries across the border (package codec maps it to protobuf), and what
// both countries store. Field tags are the API's validation rules, checked
// by the same validator as referral documents.
package events

import (
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

// Body is the record of one event: what the acting user said about it.
type Body interface {
	// Event is the event the body records.
	Event() cases.Event
}

// Message is an event as it crosses the border: its body, and what the
// acting side adds to every event.
type Message struct {
	ReferralID string
	Base       cases.Status // the acting side's status before it acted
	At         time.Time    // when the acting side acted, in UTC
	By         string       // the acting user's subject at the acting side
	Body       Body
}

// Event is the event the message carries.
func (m Message) Event() cases.Event { return m.Body.Event() }

// DateLayout is how dates without a time are written ("2026-11-30").
const DateLayout = time.DateOnly

// Accept accepts a referral: the recipient takes responsibility.
type Accept struct{}

// Decline refuses a referral, with a reason.
type Decline struct {
	Reason     string `json:"reason" validate:"required,notblank,max=2000"`
	ReasonCode string `json:"reason_code,omitempty" validate:"omitempty,oneof=not_in_mandate outside_area no_capacity insufficient_information duplicate other"`
}

// Withdraw withdraws a referral before the sender knows of a decision.
type Withdraw struct {
	Reason string `json:"reason,omitempty" validate:"max=2000"`
}

// RequestInfo asks the sender questions before the recipient decides.
type RequestInfo struct {
	// RequestID is minted by the recipient's casework; the answer cites it.
	RequestID string     `json:"-"`
	Items     []Question `json:"items" validate:"required,min=1,max=20,dive"`
	RespondBy string     `json:"respond_by,omitempty" validate:"omitempty,datetime=2006-01-02"`
	Note      string     `json:"note,omitempty" validate:"max=2000"`
}

// Question is one item of an information request.
type Question struct {
	// ID names the question within its request; casework numbers the
	// questions that have none ("q1", "q2").
	ID       string `json:"id,omitempty" validate:"omitempty,code,max=32"`
	Topic    string `json:"topic,omitempty" validate:"omitempty,oneof=child family consent work best_interests trafficking other"`
	Question string `json:"question" validate:"required,notblank,max=2000"`
}

// RespondInfo answers an information request, question by question, and
// may carry corrected groups of the referral document: each group given
// replaces the referral's group on both sides, validated as when filing.
type RespondInfo struct {
	RequestID string   `json:"request_id" validate:"required,code,max=64"`
	Items     []Answer `json:"items" validate:"required,min=1,max=20,unique=QuestionID,dive"`
	Note      string   `json:"note,omitempty" validate:"max=2000"`

	Child         *referral.Child     `json:"child,omitempty"`
	Family        *referral.Family    `json:"family,omitempty"`
	Consent       *referral.Consent   `json:"consent,omitempty"`
	BestInterests *referral.Interests `json:"best_interests,omitempty"`
	Work          *referral.Work      `json:"work,omitempty"`
	Trafficking   *referral.Traffic   `json:"trafficking,omitempty"`
}

// AnswerRecord is an answer as both sides store it: its answers, and the
// names of the document groups it replaced instead of their content, which
// lives in the referral's document only.
type AnswerRecord struct {
	RequestID     string   `json:"request_id"`
	Items         []Answer `json:"items"`
	Note          string   `json:"note,omitempty"`
	UpdatedGroups []string `json:"updated_groups,omitempty"`
}

// Groups returns the JSON names of the document groups r carries, in the
// document's order.
func (r *RespondInfo) Groups() []string {
	var names []string
	for _, g := range []struct {
		name  string
		given bool
	}{
		{"child", r.Child != nil}, {"family", r.Family != nil}, {"consent", r.Consent != nil},
		{"best_interests", r.BestInterests != nil}, {"work", r.Work != nil}, {"trafficking", r.Trafficking != nil},
	} {
		if g.given {
			names = append(names, g.name)
		}
	}
	return names
}

// UpdateDocument replaces the groups of d that r carries.
func (r *RespondInfo) UpdateDocument(d *referral.Document) {
	if r.Child != nil {
		d.Child = *r.Child
	}
	if r.Family != nil {
		d.Family = *r.Family
	}
	if r.Consent != nil {
		d.Consent = *r.Consent
	}
	if r.BestInterests != nil {
		d.BestInterests = *r.BestInterests
	}
	if r.Work != nil {
		d.Work = *r.Work
	}
	if r.Trafficking != nil {
		t := *r.Trafficking
		d.Trafficking = &t
	}
}

// Record is what both sides store of r.
func (r *RespondInfo) Record() AnswerRecord {
	return AnswerRecord{RequestID: r.RequestID, Items: r.Items, Note: r.Note, UpdatedGroups: r.Groups()}
}

// Answer answers one question of the request.
type Answer struct {
	QuestionID string `json:"question_id" validate:"required,code,max=32"`
	Answer     string `json:"answer" validate:"required,notblank,max=4000"`
}

// PlanHandover proposes, or revises, how and when the child is handed over.
type PlanHandover struct {
	// Revision and ProposedBy are set by casework: the proposer's side, and
	// one more than the highest revision it holds.
	Revision   int        `json:"-"`
	ProposedBy cases.Side `json:"-"`

	PlannedFor      string           `json:"planned_for" validate:"required,datetime=2006-01-02T15:04:05Z07:00"`
	Place           string           `json:"place" validate:"required,iso3166_2"`
	BorderPost      string           `json:"border_post" validate:"required,notblank,max=200"`
	Transport       string           `json:"transport,omitempty" validate:"omitempty,oneof=road air boat on_foot"`
	Escorts         []Person         `json:"escorts,omitempty" validate:"max=10,dive"`
	ReceivedBy      Person           `json:"received_by"`
	TravelDocuments []TravelDocument `json:"travel_documents,omitempty" validate:"max=20,dive"`
	Notes           string           `json:"notes,omitempty" validate:"max=2000"`
}

// Person is someone who takes part in a handover.
type Person struct {
	Name  string `json:"name" validate:"required,notblank,max=200"`
	Title string `json:"title,omitempty" validate:"max=200"`
	Phone string `json:"phone,omitempty" validate:"omitempty,e164"`
}

// TravelDocument is a document the child needs to cross the border.
type TravelDocument struct {
	Type   string `json:"type" validate:"required,travel_document"`
	Number string `json:"number,omitempty" validate:"max=64"`
	Status string `json:"status" validate:"required,oneof=to_obtain requested obtained"`
	Notes  string `json:"notes,omitempty" validate:"max=500"`
}

// ConfirmHandover confirms one side's part of the handover of the plan
// revision it names.
type ConfirmHandover struct {
	// Side is set by casework: the confirming side.
	Side cases.Side `json:"-"`
	// PlanBy is set by casework: the side that proposed the plan confirmed.
	PlanBy       cases.Side `json:"-"`
	Revision     int        `json:"revision" validate:"required,min=1"`
	HandedOverAt string     `json:"handed_over_at,omitempty" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	Notes        string     `json:"notes,omitempty" validate:"max=2000"`
}

// RecordService records a service for the child, or updates one.
type RecordService struct {
	// ServiceID names a service recorded before, to update it; casework
	// mints one for a new service.
	ServiceID string `json:"service_id,omitempty" validate:"omitempty,code,max=64"`
	Type      string `json:"type" validate:"required,service_type"`
	Provider  string `json:"provider" validate:"required,notblank,max=200"`
	StartDate string `json:"start_date,omitempty" validate:"omitempty,datetime=2006-01-02"`
	EndDate   string `json:"end_date,omitempty" validate:"omitempty,datetime=2006-01-02"`
	Status    string `json:"status" validate:"required,service_status"`
	Notes     string `json:"notes,omitempty" validate:"max=2000"`
}

// RecordFollowUp records a follow-up of the child after the handover.
type RecordFollowUp struct {
	// FollowUpID is minted by casework.
	FollowUpID   string `json:"-"`
	Date         string `json:"date" validate:"required,datetime=2006-01-02"`
	Method       string `json:"method" validate:"required,follow_up_method"`
	AtHome       string `json:"at_home" validate:"required,oneof=yes no unknown"`
	InSchool     string `json:"in_school" validate:"required,oneof=yes no unknown"`
	StillWorking string `json:"still_working" validate:"required,oneof=yes no unknown"`
	AtRisk       string `json:"at_risk" validate:"required,oneof=yes no unknown"`
	Notes        string `json:"notes,omitempty" validate:"max=2000"`
}

// Close closes the case, with a reason.
type Close struct {
	ReasonCode string `json:"reason_code" validate:"required,closure_reason"`
	Note       string `json:"note,omitempty" validate:"required_if=ReasonCode other,max=2000"`
}

// StatusChange records the events that change a referral's status without
// a record of their own: cancel, report_handover_failed, suspend, resume
// and mark_entered_in_error. They share one body and one message.
type StatusChange struct {
	// Of is the event; the API sets it from the path.
	Of         cases.Event `json:"-"`
	ReasonCode string      `json:"reason_code,omitempty"`
	Note       string      `json:"note,omitempty" validate:"max=2000"`
}

// statusChanges are the events a StatusChange records, and whether each
// needs a reason.
var statusChanges = map[cases.Event]bool{
	cases.EventCancel:               true,
	cases.EventReportHandoverFailed: true,
	cases.EventSuspend:              true,
	cases.EventResume:               false,
	cases.EventMarkEnteredInError:   true,
}

// IsStatusChange reports whether a StatusChange records ev.
func IsStatusChange(ev cases.Event) bool {
	_, ok := statusChanges[ev]
	return ok
}

// The events each body records.
func (Accept) Event() cases.Event          { return cases.EventAccept }
func (Decline) Event() cases.Event         { return cases.EventDecline }
func (Withdraw) Event() cases.Event        { return cases.EventWithdraw }
func (RequestInfo) Event() cases.Event     { return cases.EventRequestInfo }
func (RespondInfo) Event() cases.Event     { return cases.EventRespondInfo }
func (PlanHandover) Event() cases.Event    { return cases.EventPlanHandover }
func (ConfirmHandover) Event() cases.Event { return cases.EventConfirmHandover }
func (RecordService) Event() cases.Event   { return cases.EventRecordService }
func (RecordFollowUp) Event() cases.Event  { return cases.EventRecordFollowUp }
func (Close) Event() cases.Event           { return cases.EventClose }
func (b StatusChange) Event() cases.Event  { return b.Of }

// New returns an empty body for event ev, for the API to decode a request
// into, and false for an event no user causes through the API.
func New(ev cases.Event) (Body, bool) {
	switch ev {
	case cases.EventAccept:
		return &Accept{}, true
	case cases.EventDecline:
		return &Decline{}, true
	case cases.EventWithdraw:
		return &Withdraw{}, true
	case cases.EventRequestInfo:
		return &RequestInfo{}, true
	case cases.EventRespondInfo:
		return &RespondInfo{}, true
	case cases.EventPlanHandover:
		return &PlanHandover{}, true
	case cases.EventConfirmHandover:
		return &ConfirmHandover{}, true
	case cases.EventRecordService:
		return &RecordService{}, true
	case cases.EventRecordFollowUp:
		return &RecordFollowUp{}, true
	case cases.EventClose:
		return &Close{}, true
	}
	if IsStatusChange(ev) {
		return &StatusChange{Of: ev}, true
	}
	return nil, false
}
