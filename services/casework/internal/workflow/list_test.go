package workflow_test

import (
	"slices"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

func TestDecisionDue(t *testing.T) {
	t.Parallel()
	stored := time.Date(2026, 12, 6, 8, 30, 0, 0, time.FixedZone("GMT", 0))
	tests := []struct {
		urgency, respondBy string
		want               time.Time
	}{
		{"routine", "2026-12-20", time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC)}, // the end of the day asked for
		{"asap", "2026-12-31", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},      // even when later than the allowance
		{"asap", "", stored.Add(24 * time.Hour)},
		{"urgent", "", stored.Add(72 * time.Hour)},
		{"routine", "", stored.Add(14 * 24 * time.Hour)},
	}
	for _, tc := range tests {
		got := workflow.DecisionDue(&referral.Document{Urgency: tc.urgency, RespondBy: tc.respondBy}, stored)
		if !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("DecisionDue(%s, %q) = %v, want %v in UTC", tc.urgency, tc.respondBy, got, tc.want)
		}
	}
}

func TestAwaitingDecision(t *testing.T) {
	t.Parallel()
	got := workflow.AwaitingDecision()
	want := []cases.Status{cases.StatusSent, cases.StatusDelivered, cases.StatusInfoRequested}
	for _, s := range want {
		if !slices.Contains(got, s) {
			t.Errorf("AwaitingDecision() = %v, lacks %s", got, s)
		}
	}
	for _, s := range got {
		if s.Final() || s == cases.StatusAccepted || s == cases.StatusDeclined {
			t.Errorf("AwaitingDecision() = %v: %s is decided", got, s)
		}
	}
}
