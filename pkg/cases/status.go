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
	StatusHandoverPlanned              Status = "handover_planned"                // a side proposed (or revised) when and how the child is handed over
	StatusHandoverConfirmedBySender    Status = "handover_confirmed_by_sender"    // the sender confirmed the handover; the recipient has not
	StatusHandoverConfirmedByRecipient Status = "handover_confirmed_by_recipient" // the recipient confirmed the handover; the sender has not
	StatusHandoverFailed               Status = "handover_failed"                 // the planned handover did not happen; a new plan or a cancellation follows
	StatusHandedOver                   Status = "handed_over"                     // both sides confirmed the handover
	StatusInCare                       Status = "in_care"                         // services and follow-ups are being recorded
	StatusOnHold                       Status = "on_hold"                         // after the handover: the child is missing from care; resumes to in_care
	StatusClosed                       Status = "closed"                          // the recipient closed the case, with a reason; final
	StatusCancelled                    Status = "cancelled"                       // a side called off the referral before the handover, with a reason; final
	StatusEnteredInError               Status = "entered_in_error"                // the sender found the referral should never have existed; final
)

// Statuses returns every status, in the order of the constants.
func Statuses() []Status {
	return []Status{
		StatusDraft, StatusSent, StatusDelivered, StatusInfoRequested,
		StatusAccepted, StatusDeclined, StatusWithdrawn, StatusHandoverPlanned,
		StatusHandoverConfirmedBySender, StatusHandoverConfirmedByRecipient,
		StatusHandoverFailed, StatusHandedOver, StatusInCare, StatusOnHold,
		StatusClosed, StatusCancelled, StatusEnteredInError,
	}
}

// Valid reports whether s is one of the statuses. The zero Status is not:
// it stands for "no record on this side yet".
func (s Status) Valid() bool {
	switch s {
	case StatusDraft, StatusSent, StatusDelivered, StatusInfoRequested,
		StatusAccepted, StatusDeclined, StatusWithdrawn, StatusHandoverPlanned,
		StatusHandoverConfirmedBySender, StatusHandoverConfirmedByRecipient,
		StatusHandoverFailed, StatusHandedOver, StatusInCare, StatusOnHold,
		StatusClosed, StatusCancelled, StatusEnteredInError:
		return true
	}
	return false
}

// Final reports whether no event can move a referral out of s.
func (s Status) Final() bool {
	switch s {
	case StatusDeclined, StatusWithdrawn, StatusClosed, StatusCancelled, StatusEnteredInError:
		return true
	}
	return false
}

// CanReRefer reports whether the case of a referral in status s may be
// referred again, to another agency under the same cross-border case
// reference. Declined referrals may, as FHIR re-routes a rejected Task to a
// new performer. Withdrawn ones may too: withdrawing is how a sender corrects
// a referral sent to the wrong agency, and the child still needs one.
// Cancelled ones may: a child who moved, or whose handover could not be
// arranged, may need another agency. A referral entered in error may not:
// it should never have existed, so the child's case, if there is one, starts
// afresh; and a closed case ended in the recipient's care.
func CanReRefer(s Status) bool {
	return s == StatusDeclined || s == StatusWithdrawn || s == StatusCancelled
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
	EventPlanHandover    Event = "plan_handover"    // either side, after accepting, until it has confirmed the handover
	EventConfirmHandover Event = "confirm_handover" // each side, for itself
	EventRecordService   Event = "record_service"   // recipient, after the handover
	EventRecordFollowUp  Event = "record_follow_up" // recipient, after the handover
	EventClose           Event = "close"            // recipient, after the handover, with a reason

	EventReportHandoverFailed Event = "report_handover_failed" // recipient, when a planned handover did not happen
	EventSuspend              Event = "suspend"                // recipient, after the handover: the child is missing
	EventResume               Event = "resume"                 // recipient, when a suspended case goes on
	EventCancel               Event = "cancel"                 // either side, before the handover, until it has confirmed it; with a reason
	EventMarkEnteredInError   Event = "mark_entered_in_error"  // sender, any time after sending
)

// Events returns every event, in the order of the constants.
func Events() []Event {
	return []Event{
		EventSend, EventDeliver, EventAccept, EventDecline, EventWithdraw,
		EventRequestInfo, EventRespondInfo, EventPlanHandover,
		EventConfirmHandover, EventRecordService, EventRecordFollowUp, EventClose,
		EventReportHandoverFailed, EventSuspend, EventResume, EventCancel,
		EventMarkEnteredInError,
	}
}

// Valid reports whether e is one of the events.
func (e Event) Valid() bool {
	switch e {
	case EventSend, EventDeliver, EventAccept, EventDecline, EventWithdraw,
		EventRequestInfo, EventRespondInfo, EventPlanHandover,
		EventConfirmHandover, EventRecordService, EventRecordFollowUp, EventClose,
		EventReportHandoverFailed, EventSuspend, EventResume, EventCancel,
		EventMarkEnteredInError:
		return true
	}
	return false
}

// AllowedTo reports whether side s may cause event e at all, whatever the
// referral's status.
func (e Event) AllowedTo(s Side) bool {
	switch e {
	case EventSend, EventWithdraw, EventRespondInfo, EventMarkEnteredInError:
		return s == Sender
	case EventDeliver, EventAccept, EventDecline, EventRequestInfo,
		EventRecordService, EventRecordFollowUp, EventClose,
		EventReportHandoverFailed, EventSuspend, EventResume:
		return s == Recipient
	case EventPlanHandover, EventConfirmHandover, EventCancel:
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
