package workflow

import (
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

func TestDue(t *testing.T) {
	t.Parallel()
	s := &Service{cfg: Config{FollowUpEvery: 30 * 24 * time.Hour, InformationResponseWithin: 48 * time.Hour, HandoverWithin: 10 * 24 * time.Hour}}
	t0 := time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)
	decisionDue := t0.Add(72 * time.Hour)
	request := func(respondBy string, answered bool) store.InfoRequest {
		q := store.InfoRequest{Record: store.Record[events.RequestInfo]{Body: events.RequestInfo{RespondBy: respondBy}, At: t0.Add(time.Hour)}}
		if answered {
			q.Response = &store.Record[events.AnswerRecord]{}
		}
		return q
	}
	accepted := []store.Event{{At: t0, Event: cases.EventSend}, {At: t0.Add(2 * time.Hour), Event: cases.EventAccept,
		FromStatus: cases.StatusDelivered, ToStatus: cases.StatusAccepted}}
	handedOver := append(accepted, store.Event{At: t0.Add(48 * time.Hour), Event: cases.EventConfirmHandover,
		FromStatus: cases.StatusHandoverConfirmedBySender, ToStatus: cases.StatusHandedOver})
	tests := []struct {
		name     string
		status   cases.Status
		l        store.Lifecycle
		history  []store.Event
		wantStep string
		wantAt   time.Time
	}{
		{"sent", cases.StatusSent, store.Lifecycle{}, nil, DueDecision, decisionDue},
		{"delivered", cases.StatusDelivered, store.Lifecycle{}, nil, DueDecision, decisionDue},
		{"info requested, limit", cases.StatusInfoRequested, store.Lifecycle{InfoRequests: []store.InfoRequest{request("", false)}},
			nil, DueInformationResponse, t0.Add(49 * time.Hour)},
		{"info requested, respond_by", cases.StatusInfoRequested, store.Lifecycle{InfoRequests: []store.InfoRequest{
			request("", true), request("2026-03-10", false)}}, nil, DueInformationResponse, time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)},
		{"accepted", cases.StatusAccepted, store.Lifecycle{}, accepted, DueHandover, t0.Add(2*time.Hour + 10*24*time.Hour)},
		{"handover planned", cases.StatusHandoverPlanned, store.Lifecycle{}, accepted, DueHandover, t0.Add(2*time.Hour + 10*24*time.Hour)},
		{"handover failed", cases.StatusHandoverFailed, store.Lifecycle{}, accepted, DueHandover, t0.Add(2*time.Hour + 10*24*time.Hour)},
		{"handed over", cases.StatusHandedOver, store.Lifecycle{}, handedOver, DueFollowUp, time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC)},
		{"in care", cases.StatusInCare, store.Lifecycle{}, handedOver, DueFollowUp, time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC)},
		{"on hold", cases.StatusOnHold, store.Lifecycle{}, handedOver, "", time.Time{}},
		{"declined", cases.StatusDeclined, store.Lifecycle{}, nil, "", time.Time{}},
		{"closed", cases.StatusClosed, store.Lifecycle{}, handedOver, "", time.Time{}},
	}
	for _, tc := range tests {
		step, at := s.Due(store.Referral{Status: tc.status, DecisionDueAt: decisionDue}, tc.l, tc.history)
		if step != tc.wantStep || !at.Equal(tc.wantAt) {
			t.Errorf("%s: due %q at %s, want %q at %s", tc.name, step, at, tc.wantStep, tc.wantAt)
		}
	}
}
