package api

import (
	"encoding/json"
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/services/casework/internal/events"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
	"github.com/corridor-org/corridor/services/casework/internal/store"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// endpoint is one end of a referral.
type endpoint struct {
	Member string `json:"member"`
	Agency string `json:"agency"`
}

// referralView is a referral as GET /api/v1/referrals/{id} returns it: the
// document as filed (or as received), and what the service adds.
type referralView struct {
	ID        string   `json:"id"`
	CaseRef   string   `json:"case_ref"`
	Status    string   `json:"status"`
	Direction string   `json:"direction"`
	Sender    endpoint `json:"sender"`
	// Actions are what the caller may do now: the events pkg/cases allows
	// this side, among those the API offers, if pkg/policy lets the caller
	// act on the referral at all.
	Actions            []string `json:"actions"`
	DecisionReasonCode string   `json:"decision_reason_code,omitempty"`
	DecisionReason     string   `json:"decision_reason,omitempty"`
	// PreviousReferralID is the referral this one re-refers under the same
	// case reference.
	PreviousReferralID string `json:"previous_referral_id,omitempty"`
	// DecisionDueAt is when a decision is due: the time of the decision
	// step of Due.
	DecisionDueAt time.Time `json:"decision_due_at"`
	// Due is the step due next and when; absent when none is. A referral
	// past it is overdue.
	Due *dueView `json:"due,omitempty"`
	// Assignee is the user of the caller's agency a supervisor assigned
	// the referral to; absent when unassigned.
	Assignee string `json:"assignee,omitempty"`
	*referral.Document
	// Chain is the case's referrals that the caller's agency holds, oldest
	// first, this one included.
	Chain []chainLinkView `json:"chain"`
	// What the events after sending recorded.
	InfoRequests    []infoRequestView `json:"info_requests"`
	Handover        *handoverView     `json:"handover,omitempty"`
	Services        []serviceView     `json:"services"`
	FollowUps       []followUpView    `json:"follow_ups"`
	NextFollowUpDue string            `json:"next_follow_up_due,omitempty"`
	Closure         *closureView      `json:"closure,omitempty"`
	// ClosureRequest is a caseworker's closing that waits for a
	// supervisor's approval (where the country requires it).
	ClosureRequest *closureRequestView `json:"closure_request,omitempty"`
	History        []historyView       `json:"history"`
	CreatedAt      time.Time           `json:"created_at"`
	UpdatedAt      time.Time           `json:"updated_at"`
}

// historyView is one step of the cross-border history.
type historyView struct {
	At         time.Time `json:"at"`
	Event      string    `json:"event"`
	Side       string    `json:"side"`
	Member     string    `json:"member"`
	Actor      string    `json:"actor"`
	FromStatus string    `json:"from_status"`
	ToStatus   string    `json:"to_status"`
	ReasonCode string    `json:"reason_code,omitempty"`
	Note       string    `json:"note,omitempty"`
	Outcome    string    `json:"outcome,omitempty"`
}

// chainLinkView is one referral of a case's chain of re-referrals.
type chainLinkView struct {
	ID                 string    `json:"id"`
	Status             string    `json:"status"`
	Recipient          endpoint  `json:"recipient"`
	PreviousReferralID string    `json:"previous_referral_id,omitempty"`
	CreatedAt          time.Time `json:"created_at"`
}

// summaryView is a referral in a list.
type summaryView struct {
	ID        string   `json:"id"`
	CaseRef   string   `json:"case_ref"`
	Status    string   `json:"status"`
	Direction string   `json:"direction"`
	Sender    endpoint `json:"sender"`
	Recipient endpoint `json:"recipient"`
	Kind      string   `json:"kind,omitempty"`
	Urgency   string   `json:"urgency,omitempty"`
	RespondBy string   `json:"respond_by,omitempty"`
	RiskLevel string   `json:"risk_level,omitempty"`
	ChildName string   `json:"child_name"`
	// PreviousReferralID marks a re-referral.
	PreviousReferralID string `json:"previous_referral_id,omitempty"`
	// DecisionDueAt and Assignee are as in referralView.
	DecisionDueAt time.Time `json:"decision_due_at"`
	Due           *dueView  `json:"due,omitempty"`
	Assignee      string    `json:"assignee,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// dueView is the step of a referral due next (workflow.Due) and when.
type dueView struct {
	Step string    `json:"step"`
	At   time.Time `json:"at"`
}

func newDueView(r workflow.Referral) *dueView {
	if r.DueStep == "" {
		return nil
	}
	return &dueView{Step: r.DueStep, At: r.DueAt}
}

// recorded is what every event's record says of itself: which side acted,
// when, and who (the user's subject at that side).
type recorded struct {
	Side string    `json:"side"`
	At   time.Time `json:"at"`
	By   string    `json:"by"`
}

func newRecorded[T any](r store.Record[T]) recorded {
	return recorded{Side: string(r.Side), At: r.At, By: r.By}
}

type infoRequestView struct {
	RequestID string `json:"request_id"`
	events.RequestInfo
	Requested recorded          `json:"requested"`
	Response  *infoResponseView `json:"response,omitempty"`
}

type infoResponseView struct {
	events.AnswerRecord
	Answered recorded `json:"answered"`
}

// handoverView is the plan in force, every proposal, and the
// confirmations.
type handoverView struct {
	Plan          *planView          `json:"plan,omitempty"`
	Plans         []planView         `json:"plans"`
	Confirmations []confirmationView `json:"confirmations"`
}

type planView struct {
	Revision   int    `json:"revision"`
	ProposedBy string `json:"proposed_by"`
	events.PlanHandover
	Proposed recorded `json:"proposed"`
}

type confirmationView struct {
	Side   string `json:"side"`
	PlanBy string `json:"plan_proposed_by"`
	events.ConfirmHandover
	Confirmed recorded `json:"confirmed"`
}

type serviceView struct {
	events.RecordService
	Recorded recorded `json:"recorded"`
}

type followUpView struct {
	FollowUpID string `json:"follow_up_id"`
	events.RecordFollowUp
	Recorded recorded `json:"recorded"`
}

type closureView struct {
	events.Close
	Closed recorded `json:"closed"`
}

// closureRequestView is a closing waiting for approval: the close event's
// body, and who asked when.
type closureRequestView struct {
	events.Close
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
}

// offered reports whether this API lets users cause ev: every event with a
// body, which is every event but sending (POST /api/v1/referrals) and
// delivery (the relay's receipt).
func offered(ev cases.Event) bool {
	_, ok := events.New(ev)
	return ok
}

func direction(side cases.Side) string {
	if side == cases.Sender {
		return string(store.Outgoing)
	}
	return string(store.Incoming)
}

func newReferralView(r workflow.Referral) referralView {
	v := referralView{
		ID:                 r.ID,
		CaseRef:            r.CaseRef,
		Status:             string(r.Status),
		Direction:          direction(r.Side),
		Sender:             endpoint{Member: string(r.SenderMember), Agency: r.SenderAgency},
		Actions:            []string{},
		DecisionReasonCode: r.DecisionCode,
		DecisionReason:     r.DecisionReason,
		PreviousReferralID: r.PreviousReferralID,
		DecisionDueAt:      r.DecisionDueAt,
		Due:                newDueView(r),
		Assignee:           r.Assignee,
		Document:           r.Document,
		Chain:              make([]chainLinkView, 0, len(r.Chain)),
		History:            make([]historyView, 0, len(r.History)),
		CreatedAt:          r.CreatedAt,
		UpdatedAt:          r.UpdatedAt,
	}
	if r.MayAct {
		for _, ev := range workflow.Actions(r.Referral) {
			v.Actions = append(v.Actions, string(ev))
		}
	}
	for _, l := range r.Chain {
		v.Chain = append(v.Chain, chainLinkView{
			ID: l.ID, Status: string(l.Status), PreviousReferralID: l.PreviousReferralID, CreatedAt: l.CreatedAt,
			Recipient: endpoint{Member: string(l.RecipientMember), Agency: l.RecipientAgency},
		})
	}
	l := r.Lifecycle
	v.InfoRequests = make([]infoRequestView, 0, len(l.InfoRequests))
	for _, q := range l.InfoRequests {
		iv := infoRequestView{RequestID: q.Body.RequestID, RequestInfo: q.Body, Requested: newRecorded(q.Record)}
		if a := q.Response; a != nil {
			iv.Response = &infoResponseView{AnswerRecord: a.Body, Answered: newRecorded(*a)}
		}
		v.InfoRequests = append(v.InfoRequests, iv)
	}
	if len(l.Plans) > 0 {
		h := &handoverView{Plans: make([]planView, 0, len(l.Plans)), Confirmations: make([]confirmationView, 0, len(l.Confirmations))}
		for _, p := range l.Plans {
			h.Plans = append(h.Plans, newPlanView(p))
		}
		if r.Plan != nil {
			p := newPlanView(*r.Plan)
			h.Plan = &p
		}
		for _, c := range l.Confirmations {
			h.Confirmations = append(h.Confirmations, confirmationView{Side: string(c.Body.Side), PlanBy: string(c.Body.PlanBy),
				ConfirmHandover: c.Body, Confirmed: newRecorded(c)})
		}
		v.Handover = h
	}
	v.Services = make([]serviceView, 0, len(l.Services))
	for _, sv := range l.Services {
		v.Services = append(v.Services, serviceView{RecordService: sv.Body, Recorded: newRecorded(sv)})
	}
	v.FollowUps = make([]followUpView, 0, len(l.FollowUps))
	for _, f := range l.FollowUps {
		v.FollowUps = append(v.FollowUps, followUpView{FollowUpID: f.Body.FollowUpID, RecordFollowUp: f.Body, Recorded: newRecorded(f)})
	}
	if c := l.Closure; c != nil {
		v.Closure = &closureView{Close: c.Body, Closed: newRecorded(*c)}
	}
	if req := r.Closure; req != nil {
		cr := &closureRequestView{RequestedBy: req.RequestedBy, RequestedAt: req.RequestedAt}
		if err := json.Unmarshal(req.Body, &cr.Close); err == nil {
			v.ClosureRequest = cr
		}
	}
	v.NextFollowUpDue = r.NextFollowUpDue
	for _, e := range r.History {
		v.History = append(v.History, historyView{
			At: e.At, Event: string(e.Event), Side: string(e.ActorSide), Member: string(e.ActorMember),
			Actor: e.Actor, FromStatus: string(e.FromStatus), ToStatus: string(e.ToStatus), ReasonCode: e.ReasonCode, Note: e.Note, Outcome: e.Outcome,
		})
	}
	return v
}

func newPlanView(p store.Record[events.PlanHandover]) planView {
	return planView{Revision: p.Body.Revision, ProposedBy: string(p.Body.ProposedBy), PlanHandover: p.Body, Proposed: newRecorded(p)}
}

func newSummaryView(r workflow.Referral) summaryView {
	v := summaryView{
		ID:                 r.ID,
		CaseRef:            r.CaseRef,
		Status:             string(r.Status),
		Direction:          direction(r.Side),
		Sender:             endpoint{Member: string(r.SenderMember), Agency: r.SenderAgency},
		Recipient:          endpoint{Member: string(r.RecipientMember), Agency: r.RecipientAgency},
		Urgency:            r.Urgency,
		PreviousReferralID: r.PreviousReferralID,
		DecisionDueAt:      r.DecisionDueAt,
		Due:                newDueView(r),
		Assignee:           r.Assignee,
		CreatedAt:          r.CreatedAt,
		UpdatedAt:          r.UpdatedAt,
	}
	if d := r.Document; d != nil {
		v.Kind, v.RespondBy, v.RiskLevel = d.Kind, d.RespondBy, d.BestInterests.RiskLevel
		v.ChildName = d.Child.Name.Display()
	}
	return v
}
