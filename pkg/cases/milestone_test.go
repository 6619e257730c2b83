package cases

import "testing"

func TestMilestoneOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ev   Event
		to   Status
		want Milestone // empty for none
	}{
		{EventSend, StatusSent, "referral_sent"},
		{EventDeliver, StatusDelivered, "referral_delivered"},
		{EventAccept, StatusAccepted, "referral_accepted"},
		{EventDecline, StatusDeclined, "referral_declined"},
		{EventWithdraw, StatusWithdrawn, "referral_withdrawn"},
		{EventRequestInfo, StatusInfoRequested, "info_requested"},
		{EventRespondInfo, StatusDelivered, "info_provided"},
		{EventRespondInfo, StatusAccepted, "info_provided"},
		{EventPlanHandover, StatusHandoverPlanned, "handover_planned"},
		{EventConfirmHandover, StatusHandoverConfirmedBySender, ""},
		{EventConfirmHandover, StatusHandoverConfirmedByRecipient, ""},
		{EventConfirmHandover, StatusHandedOver, "handed_over"},
		{EventRecordService, StatusInCare, "service_recorded"},
		{EventRecordFollowUp, StatusInCare, "follow_up_recorded"},
		{EventClose, StatusClosed, "case_closed"},
		{EventReportHandoverFailed, StatusHandoverFailed, "handover_failed"},
		{EventSuspend, StatusOnHold, "case_suspended"},
		{EventResume, StatusInCare, "case_resumed"},
		{EventCancel, StatusCancelled, "referral_cancelled"},
		{EventMarkEnteredInError, StatusEnteredInError, "referral_entered_in_error"},
		{"bogus", StatusClosed, ""},
	}
	covered := map[Milestone]bool{}
	for _, tc := range tests {
		got, ok := MilestoneOf(tc.ev, tc.to)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("MilestoneOf(%s, %s) = %q, %v; want %q", tc.ev, tc.to, got, ok, tc.want)
		}
		covered[got] = true
	}
	for _, m := range Milestones() {
		if !covered[m] {
			t.Errorf("milestone %s is reached by no event", m)
		}
	}
	if len(Milestones()) != 17 {
		t.Errorf("%d milestones, want 17", len(Milestones()))
	}
	// Every event marks a milestone when it moves a referral to the status
	// it leads to, except a one-sided handover confirmation.
	for _, ev := range Events() {
		for _, side := range []Side{Sender, Recipient} {
			for _, from := range Statuses() {
				to, err := Transition(from, ev, side)
				if err != nil || (ev == EventConfirmHandover && to != StatusHandedOver) {
					continue
				}
				if _, ok := MilestoneOf(ev, to); !ok {
					t.Errorf("%s by the %s to %s marks no milestone", ev, side, to)
				}
			}
		}
	}
}

func TestAgeBand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		age  int
		want string
	}{
		{-1, "unknown"}, {-30, "unknown"},
		{0, "0-4"}, {4, "0-4"},
		{5, "5-11"}, {11, "5-11"},
		{12, "12-14"}, {14, "12-14"},
		{15, "15-17"}, {17, "15-17"},
		{18, "18+"}, {40, "18+"},
	}
	for _, tc := range tests {
		if got := AgeBand(tc.age); got != tc.want {
			t.Errorf("AgeBand(%d) = %q, want %q", tc.age, got, tc.want)
		}
	}
	want := []string{"0-4", "5-11", "12-14", "15-17", "18+", "unknown"}
	if got := AgeBands(); len(got) != len(want) {
		t.Fatalf("AgeBands() = %v, want %v", got, want)
	}
	for i, b := range AgeBands() {
		if b != want[i] {
			t.Errorf("AgeBands()[%d] = %q, want %q", i, b, want[i])
		}
	}
}

func TestMilestoneOnApply(t *testing.T) {
	tests := []struct {
		name         string
		ev           Event
		target, next Status
		applier      Side
		want         Milestone
	}{
		{"crossing confirmations at the recipient", EventConfirmHandover, StatusHandoverConfirmedBySender, StatusHandedOver, Recipient, MilestoneHandedOver},
		{"crossing confirmations at the sender", EventConfirmHandover, StatusHandoverConfirmedByRecipient, StatusHandedOver, Sender, ""},
		{"second confirmation, reported by its sender", EventConfirmHandover, StatusHandedOver, StatusHandedOver, Recipient, ""},
		{"first confirmation", EventConfirmHandover, StatusHandoverConfirmedBySender, StatusHandoverConfirmedBySender, Recipient, ""},
		{"a withdrawal that overrode a decision", EventWithdraw, StatusWithdrawn, StatusWithdrawn, Recipient, ""},
		{"a superseded cancellation", EventCancel, StatusCancelled, StatusEnteredInError, Recipient, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MilestoneOnApply(tt.ev, tt.target, tt.next, tt.applier)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("MilestoneOnApply = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}
