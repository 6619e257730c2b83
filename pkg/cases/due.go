package cases

import (
	"sort"
	"time"
)

// DueStep names a step that falls due in a referral's life; a referral is
// overdue once the step's time limit has passed without it.
type DueStep string

// The steps that fall due, each with its time limit.
const (
	// DueDecision: the recipient's decision, within the respond limit of
	// delivery (of sending, until a receipt is known).
	DueDecision DueStep = "decision"
	// DueInformationResponse: the sender's answer to the open information
	// request, within the information response limit of the request.
	DueInformationResponse DueStep = "information_response"
	// DueHandover: the child handed over, within the handover limit of
	// acceptance.
	DueHandover DueStep = "handover"
	// DueFollowUp: the next follow-up visit, within the follow-up interval
	// of the handover or of the last follow-up, until a follow-up finds
	// that the child has stopped working.
	DueFollowUp DueStep = "follow_up"
)

// DueSteps returns every step, in the order a referral meets them.
func DueSteps() []DueStep {
	return []DueStep{DueDecision, DueInformationResponse, DueHandover, DueFollowUp}
}

// Responsible returns the sides whose agencies must take step: the
// recipient decides and follows the child up, the sender answers its
// information requests, and both must confirm a handover.
func (s DueStep) Responsible() []Side {
	switch s {
	case DueDecision, DueFollowUp:
		return []Side{Recipient}
	case DueInformationResponse:
		return []Side{Sender}
	case DueHandover:
		return []Side{Sender, Recipient}
	}
	return nil
}

// DueLimits are the corridor's agreed time limits (the directory's
// time_limits) as durations.
type DueLimits struct {
	Decision            time.Duration
	InformationResponse time.Duration
	Handover            time.Duration
	FollowUpEvery       time.Duration
}

// MilestoneAt is a milestone of one referral as the coordinator learns it:
// which, when, and for a follow-up whether the child was still working
// ("yes", "no", "unknown" or "" when not reported).
type MilestoneAt struct {
	Milestone    Milestone
	At           time.Time
	StillWorking string
}

// NextDue returns the step of a referral that is due next and when, from
// its milestones (in any order) and the corridor's time limits, or "" when
// nothing is due: the referral ended, the case is on hold, or a follow-up
// found that the child has stopped working.
//
// The limits count from the milestone that opened the step, and stay put
// while the step waits: answering an information request puts the decision
// back where it was (its limit counts from delivery), and planning or
// failing a handover does not move the handover's limit.
func NextDue(milestones []MilestoneAt, limits DueLimits) (DueStep, time.Time) {
	ms := append([]MilestoneAt(nil), milestones...)
	// Stable: the caller's order breaks ties in time.
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].At.Before(ms[j].At) })
	var (
		sent, delivered, infoRequested, accepted, lastCare time.Time
		stoppedWorking                                     bool
		current                                            Milestone
	)
	for _, m := range ms {
		switch m.Milestone {
		case MilestoneReferralSent:
			sent = m.At
		case MilestoneReferralDelivered:
			if delivered.IsZero() {
				delivered = m.At
			}
		case MilestoneInfoRequested:
			infoRequested = m.At
		case MilestoneReferralAccepted:
			accepted = m.At
		case MilestoneHandedOver:
			lastCare = m.At
		case MilestoneFollowUpRecorded:
			lastCare = m.At
			// The latest visit says whether the child still works.
			stoppedWorking = m.StillWorking == "no"
		case MilestoneServiceRecorded:
			// A service is not a visit: the follow-up clock runs on.
			continue
		}
		current = m.Milestone
	}
	switch current {
	case MilestoneReferralSent, MilestoneReferralDelivered, MilestoneInfoProvided:
		start := delivered
		if start.IsZero() {
			start = sent
		}
		if start.IsZero() {
			return "", time.Time{}
		}
		return DueDecision, start.Add(limits.Decision).UTC()
	case MilestoneInfoRequested:
		return DueInformationResponse, infoRequested.Add(limits.InformationResponse).UTC()
	case MilestoneReferralAccepted, MilestoneHandoverPlanned, MilestoneHandoverFailed:
		if accepted.IsZero() {
			return "", time.Time{}
		}
		return DueHandover, accepted.Add(limits.Handover).UTC()
	case MilestoneHandedOver, MilestoneFollowUpRecorded, MilestoneCaseResumed:
		if stoppedWorking || lastCare.IsZero() {
			return "", time.Time{}
		}
		return DueFollowUp, lastCare.Add(limits.FollowUpEvery).UTC()
	}
	// Final milestones, and on hold: nothing is due.
	return "", time.Time{}
}

// IsOverdue reports whether a step due at due is overdue at now: strictly
// after its limit, so a step taken at the limit is on time.
func IsOverdue(due, now time.Time) bool { return !due.IsZero() && now.After(due) }
