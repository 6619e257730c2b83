package cases

// Milestone is the name of a step in a case's cross-border timeline, as the
// relay reports it to the coordinator. Milestones carry no personal data.
type Milestone string

// The milestones.
const (
	MilestoneReferralSent      Milestone = "referral_sent"
	MilestoneReferralDelivered Milestone = "referral_delivered"
	MilestoneReferralAccepted  Milestone = "referral_accepted"
	MilestoneReferralDeclined  Milestone = "referral_declined"
	MilestoneReferralWithdrawn Milestone = "referral_withdrawn"
	MilestoneInfoRequested     Milestone = "info_requested"
	MilestoneInfoProvided      Milestone = "info_provided"
	MilestoneHandoverPlanned   Milestone = "handover_planned"
	MilestoneHandedOver        Milestone = "handed_over"
	MilestoneServiceRecorded   Milestone = "service_recorded"
	MilestoneFollowUpRecorded  Milestone = "follow_up_recorded"
	MilestoneCaseClosed        Milestone = "case_closed"

	MilestoneHandoverFailed         Milestone = "handover_failed"
	MilestoneCaseSuspended          Milestone = "case_suspended"
	MilestoneCaseResumed            Milestone = "case_resumed"
	MilestoneReferralCancelled      Milestone = "referral_cancelled"
	MilestoneReferralEnteredInError Milestone = "referral_entered_in_error"
)

// Milestones returns every milestone, in the order of the constants.
func Milestones() []Milestone {
	return []Milestone{
		MilestoneReferralSent, MilestoneReferralDelivered, MilestoneReferralAccepted,
		MilestoneReferralDeclined, MilestoneReferralWithdrawn, MilestoneInfoRequested,
		MilestoneInfoProvided, MilestoneHandoverPlanned, MilestoneHandedOver,
		MilestoneServiceRecorded, MilestoneFollowUpRecorded, MilestoneCaseClosed,
		MilestoneHandoverFailed, MilestoneCaseSuspended, MilestoneCaseResumed,
		MilestoneReferralCancelled, MilestoneReferralEnteredInError,
	}
}

// MilestoneOf returns the milestone that event ev marks when it moves a
// referral to status to, and false when it marks none. The status is needed
// because one handover confirmation is not a milestone: the handover is,
// once the second confirmation (from either side) reaches handed_over.
func MilestoneOf(ev Event, to Status) (Milestone, bool) {
	switch ev {
	case EventSend:
		return MilestoneReferralSent, true
	case EventDeliver:
		return MilestoneReferralDelivered, true
	case EventAccept:
		return MilestoneReferralAccepted, true
	case EventDecline:
		return MilestoneReferralDeclined, true
	case EventWithdraw:
		return MilestoneReferralWithdrawn, true
	case EventRequestInfo:
		return MilestoneInfoRequested, true
	case EventRespondInfo:
		return MilestoneInfoProvided, true
	case EventPlanHandover:
		return MilestoneHandoverPlanned, true
	case EventConfirmHandover:
		if to == StatusHandedOver {
			return MilestoneHandedOver, true
		}
	case EventRecordService:
		return MilestoneServiceRecorded, true
	case EventRecordFollowUp:
		return MilestoneFollowUpRecorded, true
	case EventClose:
		return MilestoneCaseClosed, true
	case EventReportHandoverFailed:
		return MilestoneHandoverFailed, true
	case EventSuspend:
		return MilestoneCaseSuspended, true
	case EventResume:
		return MilestoneCaseResumed, true
	case EventCancel:
		return MilestoneReferralCancelled, true
	case EventMarkEnteredInError:
		return MilestoneReferralEnteredInError, true
	}
	return "", false
}

// MilestoneOnApply returns the milestone that applier must report when it
// applies the other side's event ev, which moved the other side's copy to
// target and this side's to next, and false when there is none to report.
// A side reports the milestones of its own events; but two handover
// confirmations that crossed each reach handed_over here, by the other
// side's message, and neither message reported it. Exactly one side
// reports such a milestone: the recipient, which received the child.
func MilestoneOnApply(ev Event, target, next Status, applier Side) (Milestone, bool) {
	m, ok := MilestoneOf(ev, next)
	if !ok || applier != Recipient {
		return "", false
	}
	if sent, ok := MilestoneOf(ev, target); ok && sent == m {
		return "", false
	}
	return m, true
}
