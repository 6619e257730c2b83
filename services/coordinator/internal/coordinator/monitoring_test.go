package coordinator_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// TestReReferralTimeline follows a case whose first referral BF's child
// protection declines and which CI re-refers to BF's shelter: the case's
// timeline shows both referrals, each entry naming its own, and the
// milestones that follow carry what monitoring measures.
func TestReReferralTimeline(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	n := w.startCoordinator(t, false)
	t0 := time.Now().Add(-10 * time.Hour).Truncate(time.Microsecond)
	identified := t0.Add(-36 * time.Hour)

	first := event(t0)
	first.IdentifiedAt = identified.UnixMicro()
	caseRef, firstID := first.CaseRef, first.ReferralId
	secondID := "ref-second" + firstID[len("ref-"):]
	at := func(d time.Duration, member, milestone string, edit func(*trackingv1.TrackingEvent)) *trackingv1.TrackingEvent {
		ev := event(t0.Add(d))
		ev.CaseRef, ev.Member, ev.Milestone = caseRef, member, milestone
		ev.Sector, ev.AgeBand, ev.Sex = "", "", ""
		ev.EventId = member + "-trk-" + milestone + "-" + ev.EventId
		if edit != nil {
			edit(ev)
		}
		return ev
	}
	toFirst := func(ev *trackingv1.TrackingEvent) { ev.ReferralId = firstID }
	toSecond := func(ev *trackingv1.TrackingEvent) {
		ev.ReferralId, ev.RecipientAgency = secondID, "BF-SHELTER"
	}
	events := []*trackingv1.TrackingEvent{
		first,
		at(time.Minute, "BF", "referral_delivered", toFirst),
		at(time.Hour, "BF", "referral_declined", toFirst),
		at(2*time.Hour, "CI", "referral_sent", func(ev *trackingv1.TrackingEvent) {
			toSecond(ev)
			ev.PreviousReferralId, ev.IdentifiedAt = firstID, identified.UnixMicro()
		}),
		at(3*time.Hour, "BF", "referral_accepted", toSecond),
		at(4*time.Hour, "BF", "service_recorded", func(ev *trackingv1.TrackingEvent) {
			toSecond(ev)
			ev.ServiceType = "shelter"
		}),
		at(5*time.Hour, "BF", "follow_up_recorded", func(ev *trackingv1.TrackingEvent) {
			toSecond(ev)
			ev.AtHome, ev.InSchool = trackingv1.Answer_ANSWER_YES, trackingv1.Answer_ANSWER_YES
			ev.StillWorking, ev.AtRisk = trackingv1.Answer_ANSWER_NO, trackingv1.Answer_ANSWER_UNKNOWN
		}),
		at(6*time.Hour, "BF", "case_closed", func(ev *trackingv1.TrackingEvent) {
			toSecond(ev)
			ev.ClosureReason = "reunified"
		}),
	}
	for _, ev := range events {
		from := "ci"
		if ev.Member == "BF" {
			from = "bf"
		}
		if _, err := n.c.Ingest(t.Context(), from, w.signers[corridor.MemberCode(ev.Member)].sign(t, ev)); err != nil {
			t.Fatalf("%s: %v", ev.Milestone, err)
		}
	}

	c, err := coordinator.GetCase(t.Context(), n.pool, caseRef, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	entry := func(d time.Duration, member, milestone, referral, agency string) coordinator.TimelineEntry {
		return coordinator.TimelineEntry{Milestone: milestone, Member: member, At: t0.Add(d).UTC(),
			ReferralID: referral, RecipientMember: "BF", RecipientAgency: agency}
	}
	want := []coordinator.TimelineEntry{
		entry(0, "CI", "referral_sent", firstID, "BF-DPE"),
		entry(time.Minute, "BF", "referral_delivered", firstID, "BF-DPE"),
		entry(time.Hour, "BF", "referral_declined", firstID, "BF-DPE"),
		entry(2*time.Hour, "CI", "referral_sent", secondID, "BF-SHELTER"),
		entry(3*time.Hour, "BF", "referral_accepted", secondID, "BF-SHELTER"),
		entry(4*time.Hour, "BF", "service_recorded", secondID, "BF-SHELTER"),
		entry(5*time.Hour, "BF", "follow_up_recorded", secondID, "BF-SHELTER"),
		entry(6*time.Hour, "BF", "case_closed", secondID, "BF-SHELTER"),
	}
	want[0].IdentifiedAt = identified.UTC()
	want[3].IdentifiedAt, want[3].PreviousReferralID = identified.UTC(), firstID
	want[5].ServiceType = "shelter"
	want[6].AtHome, want[6].InSchool, want[6].StillWorking, want[6].AtRisk = "yes", "yes", "no", "unknown"
	want[7].ClosureReason = "reunified"
	if len(c.Timeline) != len(want) {
		t.Fatalf("timeline has %d entries, want %d: %+v", len(c.Timeline), len(want), c.Timeline)
	}
	for i := range want {
		if c.Timeline[i] != want[i] {
			t.Errorf("timeline[%d] = %+v\nwant          %+v", i, c.Timeline[i], want[i])
		}
	}
	// As the API shows it: every attribute in docs/api/coordinator.yaml.
	schema := coordinatorDoc(t).schema(t, "Milestone")
	for i, e := range c.Timeline {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		for _, p := range schema.check(obj) {
			t.Errorf("timeline[%d] against docs/api/coordinator.yaml: %s", i, p)
		}
	}
	// The case is the latest referral's; identification counts from the first.
	if c.RecipientAgency != "BF-SHELTER" || c.LatestMilestone != "case_closed" ||
		!c.OpenedAt.Equal(t0) || !c.IdentifiedAt.Equal(identified) {
		t.Errorf("case = %+v", c.CaseSummary)
	}
}
