package exchange

import (
	"reflect"
	"testing"
	"time"
)

// TestTrackingRoundTrip checks that every tracking attribute survives the
// outbox row, the ones later milestones carry included.
func TestTrackingRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := pg.NewPool(t, schema)
	tests := []struct {
		name string
		tr   Tracking
	}{
		{"referral sent", Tracking{Milestone: "referral_sent", Sector: "A", AgeBand: "12-14", Sex: "male",
			IdentifiedAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), PreviousReferralID: "ref-0abc"}},
		{"service recorded", Tracking{Milestone: "service_recorded", ServiceType: "education"}},
		{"follow-up", Tracking{Milestone: "follow_up_recorded", AtHome: "yes", InSchool: "no", StillWorking: "unknown", AtRisk: "no"}},
		{"closed", Tracking{Milestone: "case_closed", ClosureReason: "reunified"}},
	}
	for _, tc := range tests {
		m := outboxMessage(TypeReferral)
		m.Tracking = &tc.tr
		enqueue(ctx, t, pool, m)
		got, err := GetOutbox(ctx, pool, m.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Tracking == nil {
			t.Fatalf("%s: tracking lost", tc.name)
		}
		got.Tracking.IdentifiedAt = got.Tracking.IdentifiedAt.UTC()
		if !reflect.DeepEqual(*got.Tracking, tc.tr) {
			t.Errorf("%s: tracking\n got %+v\nwant %+v", tc.name, *got.Tracking, tc.tr)
		}
	}
}
