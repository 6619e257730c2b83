package workflow

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

// The steps that fall due in a referral's life, each with its time limit;
// their names are pkg/cases' (cases.DueSteps), which the coordinator uses too.
const (
	// DueDecision: the recipient's decision, by decision_due_at.
	DueDecision = string(cases.DueDecision)
	// DueInformationResponse: the sender's answer to the open information
	// request, by the end of its respond_by date or else within the
	// corridor's information response time limit.
	DueInformationResponse = string(cases.DueInformationResponse)
	// DueHandover: the child handed over, within the corridor's handover
	// time limit of acceptance.
	DueHandover = string(cases.DueHandover)
	// DueFollowUp: the next follow-up, by the end of next_follow_up_due.
	DueFollowUp = string(cases.DueFollowUp)
)

// Due returns the step of referral r that is due next and when, from its
// status, what it recorded (l) and its history; "" when nothing is due. A
// referral is overdue once that time has passed.
func (s *Service) Due(r store.Referral, l store.Lifecycle, history []store.Event) (string, time.Time) {
	switch r.Status {
	case cases.StatusSent, cases.StatusDelivered:
		return DueDecision, r.DecisionDueAt
	case cases.StatusInfoRequested:
		for i := len(l.InfoRequests) - 1; i >= 0; i-- {
			q := l.InfoRequests[i]
			if q.Response != nil {
				continue
			}
			if t, err := time.Parse(events.DateLayout, q.Body.RespondBy); err == nil {
				return DueInformationResponse, t.AddDate(0, 0, 1).UTC()
			}
			return DueInformationResponse, q.At.Add(s.cfg.InformationResponseWithin).UTC()
		}
	case cases.StatusAccepted, cases.StatusHandoverPlanned, cases.StatusHandoverConfirmedBySender,
		cases.StatusHandoverConfirmedByRecipient, cases.StatusHandoverFailed:
		for i := len(history) - 1; i >= 0; i-- {
			if history[i].Event == cases.EventAccept {
				return DueHandover, history[i].At.Add(s.cfg.HandoverWithin).UTC()
			}
		}
	case cases.StatusHandedOver, cases.StatusInCare:
		if date, ok := s.NextFollowUpDue(r.Status, l, history); ok {
			if t, err := time.Parse(events.DateLayout, date); err == nil {
				return DueFollowUp, t.AddDate(0, 0, 1).UTC()
			}
		}
	}
	return "", time.Time{}
}

// refreshDue recomputes and stores the due step of referral id, which the
// caller has locked: call it at the end of every transition.
func (s *Service) refreshDue(ctx context.Context, tx pgx.Tx, id string) error {
	r, err := store.Get(ctx, tx, id)
	if err != nil {
		return err
	}
	l, err := store.LoadLifecycle(ctx, tx, id)
	if err != nil {
		return err
	}
	h, err := store.History(ctx, tx, id)
	if err != nil {
		return err
	}
	step, at := s.Due(r, l, h)
	return store.SetDue(ctx, tx, id, step, at)
}
