package workflow

import (
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

func TestPlanInForce(t *testing.T) {
	t.Parallel()
	plan := func(rev int, by cases.Side) store.Record[events.PlanHandover] {
		return store.Record[events.PlanHandover]{Side: by, Body: events.PlanHandover{Revision: rev, ProposedBy: by}}
	}
	conf := func(side cases.Side, rev int, planBy cases.Side) store.Record[events.ConfirmHandover] {
		return store.Record[events.ConfirmHandover]{Side: side, Body: events.ConfirmHandover{Side: side, Revision: rev, PlanBy: planBy}}
	}
	s, r := cases.Sender, cases.Recipient
	type key struct {
		rev int
		by  cases.Side
	}
	tests := []struct {
		name   string
		status cases.Status
		plans  []store.Record[events.PlanHandover]
		confs  []store.Record[events.ConfirmHandover]
		want   *key
	}{
		{"none", cases.StatusAccepted, nil, nil, nil},
		{"one", cases.StatusHandoverPlanned, []store.Record[events.PlanHandover]{plan(1, r)}, nil, &key{1, r}},
		{"highest revision", cases.StatusHandoverPlanned,
			[]store.Record[events.PlanHandover]{plan(1, r), plan(2, s)}, nil, &key{2, s}},
		{"tie: the recipient's", cases.StatusHandoverPlanned,
			[]store.Record[events.PlanHandover]{plan(1, r), plan(2, s), plan(2, r)}, nil, &key{2, r}},
		{"tie in the other order", cases.StatusHandoverPlanned,
			[]store.Record[events.PlanHandover]{plan(2, r), plan(2, s), plan(1, r)}, nil, &key{2, r}},
		{"the sender's confirmation stands over a later revision", cases.StatusHandoverConfirmedBySender,
			[]store.Record[events.PlanHandover]{plan(1, r), plan(2, s), plan(2, r), plan(3, r)},
			[]store.Record[events.ConfirmHandover]{conf(s, 2, r)}, &key{2, r}},
		{"a revision after a confirmation resets it", cases.StatusHandoverPlanned,
			[]store.Record[events.PlanHandover]{plan(1, r), plan(2, r)},
			[]store.Record[events.ConfirmHandover]{conf(s, 1, r)}, &key{2, r}},
		{"the sender's last confirmation", cases.StatusHandoverConfirmedBySender,
			[]store.Record[events.PlanHandover]{plan(1, r), plan(2, r)},
			[]store.Record[events.ConfirmHandover]{conf(s, 1, r), conf(s, 2, r)}, &key{2, r}},
		{"after the handover, the recipient's", cases.StatusInCare,
			[]store.Record[events.PlanHandover]{plan(1, s), plan(1, r)},
			[]store.Record[events.ConfirmHandover]{conf(s, 1, s), conf(r, 1, s)}, &key{1, s}},
		{"on hold too", cases.StatusOnHold,
			[]store.Record[events.PlanHandover]{plan(1, s), plan(1, r)},
			[]store.Record[events.ConfirmHandover]{conf(r, 1, s), conf(s, 1, s)}, &key{1, s}},
		{"a failed handover: the highest revision", cases.StatusHandoverFailed,
			[]store.Record[events.PlanHandover]{plan(1, r), plan(2, s)},
			[]store.Record[events.ConfirmHandover]{conf(s, 1, r)}, &key{2, s}},
	}
	for _, tc := range tests {
		got := PlanInForce(tc.status, tc.plans, tc.confs)
		switch {
		case tc.want == nil && got != nil:
			t.Errorf("%s: plan %+v, want none", tc.name, got.Body)
		case tc.want != nil && got == nil:
			t.Errorf("%s: no plan, want %+v", tc.name, *tc.want)
		case tc.want != nil && (got.Body.Revision != tc.want.rev || got.Body.ProposedBy != tc.want.by):
			t.Errorf("%s: plan %d by %s, want %d by %s", tc.name, got.Body.Revision, got.Body.ProposedBy, tc.want.rev, tc.want.by)
		}
	}
}

func TestNextFollowUpDue(t *testing.T) {
	t.Parallel()
	s := &Service{cfg: Config{FollowUpEvery: 30 * 24 * time.Hour}}
	handedOver := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	history := []store.Event{
		{At: handedOver.Add(-time.Hour), FromStatus: cases.StatusHandoverPlanned, ToStatus: cases.StatusHandoverConfirmedBySender},
		{At: handedOver, FromStatus: cases.StatusHandoverConfirmedBySender, ToStatus: cases.StatusHandedOver},
	}
	followUp := func(date string) store.Record[events.RecordFollowUp] {
		return store.Record[events.RecordFollowUp]{Body: events.RecordFollowUp{Date: date}}
	}
	for _, tc := range []struct {
		name      string
		status    cases.Status
		followUps []store.Record[events.RecordFollowUp]
		want      string
	}{
		{"after the handover", cases.StatusHandedOver, nil, "2026-03-31"},
		{"after the latest follow-up", cases.StatusInCare,
			[]store.Record[events.RecordFollowUp]{followUp("2026-04-10"), followUp("2026-03-20")}, "2026-05-10"},
		{"a follow-up dated before the handover", cases.StatusInCare,
			[]store.Record[events.RecordFollowUp]{followUp("2026-02-01")}, "2026-03-31"},
		{"on hold: none", cases.StatusOnHold, nil, ""},
		{"closed: none", cases.StatusClosed, nil, ""},
		{"before the handover: none", cases.StatusHandoverPlanned, nil, ""},
	} {
		got, ok := s.NextFollowUpDue(tc.status, store.Lifecycle{FollowUps: tc.followUps}, history)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %q %v, want %q", tc.name, got, ok, tc.want)
		}
	}
}
