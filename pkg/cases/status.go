package cases

// Status is where a referral stands. The same value is stored on both sides
// of the border and carried as the base of every message.
type Status string

// The statuses, in the order a referral usually passes through them.
const (
	StatusDraft                        Status = "draft"                           // being written by the sender; never left the country
	StatusSent                         Status = "sent"                            // sent, no receipt yet (at the recipient: arrived, not yet stored)
	StatusDelivered                    Status = "delivered"                       // the recipient has it and has not decided
	StatusInfoRequested                Status = "info_requested"                  // the recipient asked the sender for more information
	StatusAccepted                     Status = "accepted"                        // the recipient takes responsibility
	StatusDeclined                     Status = "declined"                        // the recipient refused, with a reason; final
	StatusWithdrawn                    Status = "withdrawn"                       // the sender withdrew before it knew of a decision; final
	StatusHandoverPlanned              Status = "handover_planned"                // the recipient planned when and how the child is handed over
	StatusHandoverConfirmedBySender    Status = "handover_confirmed_by_sender"    // the sender confirmed the handover; the recipient has not
	StatusHandoverConfirmedByRecipient Status = "handover_confirmed_by_recipient" // the recipient confirmed the handover; the sender has not
	StatusHandedOver                   Status = "handed_over"                     // both sides confirmed the handover
	StatusInCare                       Status = "in_care"                         // services and follow-ups are being recorded
	StatusClosed                       Status = "closed"                          // the recipient closed the case, with a reason; final
)

// Statuses returns every status, in the order of the constants.
func Statuses() []Status {
	return []Status{
		StatusDraft, StatusSent, StatusDelivered, StatusInfoRequested,
		StatusAccepted, StatusDeclined, StatusWithdrawn, StatusHandoverPlanned,
		StatusHandoverConfirmedBySender, StatusHandoverConfirmedByRecipient,
		StatusHandedOver, StatusInCare, StatusClosed,
	}
}

// Valid reports whether s is one of the statuses. The zero Status is not:
// it stands for "no record on this side yet".
func (s Status) Valid() bool {
	switch s {
	case StatusDraft, StatusSent, StatusDelivered, StatusInfoRequested,
		StatusAccepted, StatusDeclined, StatusWithdrawn, StatusHandoverPlanned,
		StatusHandoverConfirmedBySender, StatusHandoverConfirmedByRecipient,
		StatusHandedOver, StatusInCare, StatusClosed:
		return true
	}
	return false
}

// Final reports whether no event can move a referral out of s.
func (s Status) Final() bool {
	return s == StatusDeclined || s == StatusWithdrawn || s == StatusClosed
}

// CanReRefer reports whether the case of a referral in status s may be
// referred again, to another agency under the same cross-border case
// reference. Declined referrals may, as FHIR re-routes a rejected Task to a
// new performer. Withdrawn ones may too: withdrawing is how a sender corrects
// a referral sent to the wrong agency, and the child still needs one.
func CanReRefer(s Status) bool {
	return s == StatusDeclined || s == StatusWithdrawn
}

// Event is something that happens to a referral. Each message between the
// two countries carries exactly one.
type Event string

// The events. The comment names the side that may cause each one.
const (
	EventSend            Event = "send"             // sender: the referral leaves the country
	EventDeliver         Event = "deliver"          // recipient: stored it; its receipt reaches the sender
	EventAccept          Event = "accept"           // recipient
	EventDecline         Event = "decline"          // recipient, with a reason
	EventWithdraw        Event = "withdraw"         // sender, before a decision
	EventRequestInfo     Event = "request_info"     // recipient, before a decision
	EventRespondInfo     Event = "respond_info"     // sender, to an information request
	EventPlanHandover    Event = "plan_handover"    // recipient, after accepting
	EventConfirmHandover Event = "confirm_handover" // each side, for itself
	EventRecordService   Event = "record_service"   // recipient, after the handover
	EventRecordFollowUp  Event = "record_follow_up" // recipient, after the handover
	EventClose           Event = "close"            // recipient, after the handover, with a reason
)

// Events returns every event, in the order of the constants.
func Events() []Event {
	return []Event{
		EventSend, EventDeliver, EventAccept, EventDecline, EventWithdraw,
		EventRequestInfo, EventRespondInfo, EventPlanHandover,
		EventConfirmHandover, EventRecordService, EventRecordFollowUp, EventClose,
	}
}

// Valid reports whether e is one of the events.
func (e Event) Valid() bool {
	switch e {
	case EventSend, EventDeliver, EventAccept, EventDecline, EventWithdraw,
		EventRequestInfo, EventRespondInfo, EventPlanHandover,
		EventConfirmHandover, EventRecordService, EventRecordFollowUp, EventClose:
		return true
	}
	return false
}

// AllowedTo reports whether side s may cause event e at all, whatever the
// referral's status.
func (e Event) AllowedTo(s Side) bool {
	switch e {
	case EventSend, EventWithdraw, EventRespondInfo:
		return s == Sender
	case EventDeliver, EventAccept, EventDecline, EventRequestInfo,
		EventPlanHandover, EventRecordService, EventRecordFollowUp, EventClose:
		return s == Recipient
	case EventConfirmHandover:
		return s == Sender || s == Recipient
	}
	return false
}

// Side is which end of a referral a country is. One country is the sender of
// some referrals and the recipient of others.
type Side string

// The sides.
const (
	Sender    Side = "sender"
	Recipient Side = "recipient"
)

// Valid reports whether s is Sender or Recipient.
func (s Side) Valid() bool { return s == Sender || s == Recipient }

// Other returns the opposite side, or the zero Side when s is not valid.
func (s Side) Other() Side {
	switch s {
	case Sender:
		return Recipient
	case Recipient:
		return Sender
	}
	return ""
}
