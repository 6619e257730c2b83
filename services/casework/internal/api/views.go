package api

import (
	"time"

	"github.com/corridor-org/corridor/pkg/cases"
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
	// this side, among those the API offers.
	Actions            []string `json:"actions"`
	DecisionReasonCode string   `json:"decision_reason_code,omitempty"`
	DecisionReason     string   `json:"decision_reason,omitempty"`
	// PreviousReferralID is the referral this one re-refers under the same
	// case reference.
	PreviousReferralID string `json:"previous_referral_id,omitempty"`
	// DecisionDueAt is when a decision is due; a referral still awaiting
	// one after it is overdue.
	DecisionDueAt time.Time `json:"decision_due_at"`
	// Assignee is the user of the caller's agency a supervisor assigned
	// the referral to; absent when unassigned.
	Assignee string `json:"assignee,omitempty"`
	*referral.Document
	// Chain is the case's referrals that the caller's agency holds, oldest
	// first, this one included.
	Chain     []chainLinkView `json:"chain"`
	History   []historyView   `json:"history"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
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
	Note       string    `json:"note,omitempty"`
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
	Assignee      string    `json:"assignee,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// offered reports whether this API lets users cause ev.
func offered(ev cases.Event) bool {
	return ev == cases.EventAccept || ev == cases.EventDecline || ev == cases.EventWithdraw
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
		Assignee:           r.Assignee,
		Document:           r.Document,
		Chain:              make([]chainLinkView, 0, len(r.Chain)),
		History:            make([]historyView, 0, len(r.History)),
		CreatedAt:          r.CreatedAt,
		UpdatedAt:          r.UpdatedAt,
	}
	for _, ev := range cases.Actions(r.Status, r.Side) {
		if offered(ev) {
			v.Actions = append(v.Actions, string(ev))
		}
	}
	for _, l := range r.Chain {
		v.Chain = append(v.Chain, chainLinkView{
			ID: l.ID, Status: string(l.Status), PreviousReferralID: l.PreviousReferralID, CreatedAt: l.CreatedAt,
			Recipient: endpoint{Member: string(l.RecipientMember), Agency: l.RecipientAgency},
		})
	}
	for _, e := range r.History {
		v.History = append(v.History, historyView{
			At: e.At, Event: string(e.Event), Side: string(e.ActorSide), Member: string(e.ActorMember),
			Actor: e.Actor, FromStatus: string(e.FromStatus), ToStatus: string(e.ToStatus), Note: e.Note,
		})
	}
	return v
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
