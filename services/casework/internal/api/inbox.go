package api

import (
	"net/http"
	"time"

	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/policy"
	"github.com/corridor-org/corridor/services/casework/internal/query"
)

// failedView is an inbox message that could not be applied: identifiers
// and codes only, never the payload.
type failedView struct {
	MessageID       string    `json:"message_id"`
	MessageType     string    `json:"message_type"`
	CaseRef         string    `json:"case_ref"`
	ReferralID      string    `json:"referral_id"`
	SenderMember    string    `json:"sender_member"`
	SenderAgency    string    `json:"sender_agency"`
	RecipientAgency string    `json:"recipient_agency"`
	SentAt          time.Time `json:"sent_at"`
	ReceivedAt      time.Time `json:"received_at"`
	ApplyAttempts   int       `json:"apply_attempts"`
	ApplyError      string    `json:"apply_error"`
	// NextApplyAt is null once casework gave up on the message.
	NextApplyAt *time.Time `json:"next_apply_at"`
	// GaveUp is set after exchange.MaxApplyAttempts failures: the message
	// is no longer retried and waits for an operator.
	GaveUp bool `json:"gave_up"`
}

func newFailedView(m exchange.InboxMessage) failedView {
	v := failedView{
		MessageID: m.MessageID, MessageType: string(m.MessageType), CaseRef: m.CaseRef, ReferralID: m.ReferralID,
		SenderMember: string(m.SenderMember), SenderAgency: m.SenderAgency, RecipientAgency: m.RecipientAgency,
		SentAt: m.SentAt, ReceivedAt: m.ReceivedAt, ApplyAttempts: m.ApplyAttempts, ApplyError: m.ApplyError,
		GaveUp: m.GaveUp,
	}
	if !m.GaveUp {
		next := m.NextApplyAt
		v.NextApplyAt = &next
	}
	return v
}

// failedList is a page of the failed list.
type failedList struct {
	Items []failedView `json:"items"`
	// NextBefore, set when older messages remain, is the before= value of
	// the next page.
	NextBefore string `json:"next_before,omitempty"`
}

// failedInbox answers GET /api/v1/inbox/failed?limit=&before= (administrators):
// the messages that could not be applied, newest first, a page at a time.
func (s *server) failedInbox(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The role first: a caller who may not list learns nothing of the
	// parameters.
	if err := s.svc.Authorize(c, policy.ViewFailedMessages); err != nil {
		s.fail(w, r, err)
		return
	}
	limit, before, err := query.FailedPage(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.svc.FailedInbox(r.Context(), c, limit, before)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := failedList{Items: make([]failedView, 0, len(page.Messages))}
	for _, m := range page.Messages {
		out.Items = append(out.Items, newFailedView(m))
	}
	if page.Next != nil {
		out.NextBefore = query.EncodeFailedCursor(*page.Next)
	}
	s.write(w, r, http.StatusOK, out)
}

// retryFailed answers POST /api/v1/inbox/failed/{message_id}/retry
// (administrators): the message is offered to the applier again, which
// applies it shortly after; 202 with the message as re-offered.
func (s *server) retryFailed(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.svc.RetryFailed(r.Context(), c, r.PathValue("message_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.write(w, r, http.StatusAccepted, newFailedView(m))
}
