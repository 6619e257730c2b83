package cases

import (
	"testing"
	"time"
)

func TestNextDue(t *testing.T) {
	t.Parallel()
	limits := DueLimits{Decision: 72 * time.Hour, InformationResponse: 120 * time.Hour,
		Handover: 30 * 24 * time.Hour, FollowUpEvery: 180 * 24 * time.Hour}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	m := func(ms Milestone, h int) MilestoneAt { return MilestoneAt{Milestone: ms, At: at(h)} }
	visit := func(h int, still string) MilestoneAt {
		return MilestoneAt{Milestone: MilestoneFollowUpRecorded, At: at(h), StillWorking: still}
	}
	const day = 24
	tests := []struct {
		name       string
		milestones []MilestoneAt
		step       DueStep
		due        time.Time
	}{
		{"nothing", nil, "", time.Time{}},
		{"sent, no receipt: from sending", []MilestoneAt{m(MilestoneReferralSent, 0)}, DueDecision, at(72)},
		{"delivered: from delivery", []MilestoneAt{m(MilestoneReferralSent, 0), m(MilestoneReferralDelivered, 5)}, DueDecision, at(77)},
		{"events out of order", []MilestoneAt{m(MilestoneReferralDelivered, 5), m(MilestoneReferralSent, 0)}, DueDecision, at(77)},
		{"a second receipt does not move the limit", []MilestoneAt{m(MilestoneReferralSent, 0), m(MilestoneReferralDelivered, 5), m(MilestoneReferralDelivered, 9)}, DueDecision, at(77)},
		{"information requested: the sender's answer", []MilestoneAt{m(MilestoneReferralSent, 0), m(MilestoneReferralDelivered, 1), m(MilestoneInfoRequested, 10)}, DueInformationResponse, at(130)},
		{"information provided: the decision's limit again", []MilestoneAt{m(MilestoneReferralSent, 0), m(MilestoneReferralDelivered, 1), m(MilestoneInfoRequested, 10), m(MilestoneInfoProvided, 20)}, DueDecision, at(73)},
		{"second information request", []MilestoneAt{m(MilestoneReferralDelivered, 1), m(MilestoneInfoRequested, 10), m(MilestoneInfoProvided, 20), m(MilestoneInfoRequested, 30)}, DueInformationResponse, at(150)},
		{"accepted: the handover", []MilestoneAt{m(MilestoneReferralSent, 0), m(MilestoneReferralAccepted, 40)}, DueHandover, at(40 + 30*day)},
		{"a plan does not move the handover's limit", []MilestoneAt{m(MilestoneReferralAccepted, 40), m(MilestoneHandoverPlanned, 50)}, DueHandover, at(40 + 30*day)},
		{"a failed handover neither", []MilestoneAt{m(MilestoneReferralAccepted, 40), m(MilestoneHandoverPlanned, 50), m(MilestoneHandoverFailed, 60)}, DueHandover, at(40 + 30*day)},
		{"handed over: the first follow-up", []MilestoneAt{m(MilestoneReferralAccepted, 40), m(MilestoneHandedOver, 100)}, DueFollowUp, at(100 + 180*day)},
		{"a service is not a visit", []MilestoneAt{m(MilestoneHandedOver, 100), m(MilestoneServiceRecorded, 200)}, DueFollowUp, at(100 + 180*day)},
		{"still working: the next follow-up", []MilestoneAt{m(MilestoneHandedOver, 100), visit(1000, "yes")}, DueFollowUp, at(1000 + 180*day)},
		{"unknown: the next follow-up", []MilestoneAt{m(MilestoneHandedOver, 100), visit(1000, "unknown")}, DueFollowUp, at(1000 + 180*day)},
		{"stopped working: follow-ups end", []MilestoneAt{m(MilestoneHandedOver, 100), visit(1000, "no")}, "", time.Time{}},
		{"working again at a later visit", []MilestoneAt{m(MilestoneHandedOver, 100), visit(1000, "no"), visit(2000, "yes")}, DueFollowUp, at(2000 + 180*day)},
		{"on hold: nothing", []MilestoneAt{m(MilestoneHandedOver, 100), m(MilestoneCaseSuspended, 200)}, "", time.Time{}},
		{"resumed: from the last visit", []MilestoneAt{m(MilestoneHandedOver, 100), m(MilestoneCaseSuspended, 200), m(MilestoneCaseResumed, 300)}, DueFollowUp, at(100 + 180*day)},
		{"declined", []MilestoneAt{m(MilestoneReferralSent, 0), m(MilestoneReferralDeclined, 5)}, "", time.Time{}},
		{"withdrawn", []MilestoneAt{m(MilestoneReferralSent, 0), m(MilestoneReferralWithdrawn, 5)}, "", time.Time{}},
		{"cancelled", []MilestoneAt{m(MilestoneReferralAccepted, 0), m(MilestoneReferralCancelled, 5)}, "", time.Time{}},
		{"entered in error", []MilestoneAt{m(MilestoneHandedOver, 0), m(MilestoneReferralEnteredInError, 5)}, "", time.Time{}},
		{"closed", []MilestoneAt{m(MilestoneHandedOver, 0), m(MilestoneCaseClosed, 5)}, "", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step, due := NextDue(tc.milestones, limits)
			if step != tc.step || !due.Equal(tc.due) {
				t.Errorf("NextDue = %q %v, want %q %v", step, due, tc.step, tc.due)
			}
		})
	}
}

// TestOverdueAtTheLimit pins the boundary of each step: due at the limit,
// overdue only after it.
func TestOverdueAtTheLimit(t *testing.T) {
	t.Parallel()
	limits := DueLimits{Decision: time.Hour, InformationResponse: 2 * time.Hour, Handover: 3 * time.Hour, FollowUpEvery: 4 * time.Hour}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		opened Milestone
		step   DueStep
		limit  time.Duration
	}{
		{MilestoneReferralDelivered, DueDecision, limits.Decision},
		{MilestoneInfoRequested, DueInformationResponse, limits.InformationResponse},
		{MilestoneReferralAccepted, DueHandover, limits.Handover},
		{MilestoneHandedOver, DueFollowUp, limits.FollowUpEvery},
	} {
		step, due := NextDue([]MilestoneAt{{Milestone: tc.opened, At: t0}}, limits)
		if step != tc.step {
			t.Fatalf("%s: step %q, want %q", tc.opened, step, tc.step)
		}
		for _, c := range []struct {
			now     time.Time
			overdue bool
		}{{t0.Add(tc.limit - time.Second), false}, {t0.Add(tc.limit), false}, {t0.Add(tc.limit + time.Second), true}} {
			if got := IsOverdue(due, c.now); got != c.overdue {
				t.Errorf("%s at %v after opening: overdue %v, want %v", tc.step, c.now.Sub(t0), got, c.overdue)
			}
		}
	}
}

func TestResponsible(t *testing.T) {
	t.Parallel()
	for _, s := range DueSteps() {
		if len(s.Responsible()) == 0 {
			t.Errorf("%s: no responsible side", s)
		}
	}
	if got := DueStep("nothing").Responsible(); got != nil {
		t.Errorf("unknown step: %v", got)
	}
}
