package api

import (
	"net/http"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/pkg/httpapi"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// defaultFailedLimit is the page size of the failed list when the caller
// does not say.
const defaultFailedLimit = 100

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

// failedInbox answers GET /api/v1/inbox/failed?limit=&before= (supervisors):
// the messages that could not be applied, newest first, a page at a time.
func (s *server) failedInbox(w http.ResponseWriter, r *http.Request) {
	c, err := caller(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The role first: a caller who may not list learns nothing of the
	// parameters.
	if err := s.svc.CheckSupervisor(c); err != nil {
		s.fail(w, r, err)
		return
	}
	limit, before, err := failedPage(r)
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
		out.NextBefore = encodeCursor(*page.Next)
	}
	s.write(w, r, http.StatusOK, out)
}

// retryFailed answers POST /api/v1/inbox/failed/{message_id}/retry
// (supervisors): the message is offered to the applier again, which
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

// failedPage reads the limit and before query parameters, naming each one
// at fault.
func failedPage(r *http.Request) (int, *exchange.FailedCursor, error) {
	q := r.URL.Query()
	limit, fields := httpapi.LimitParam(q, defaultFailedLimit, workflow.MaxFailedLimit)
	var before *exchange.FailedCursor
	if v := q.Get("before"); v != "" {
		cur, ok := decodeCursor(v)
		if !ok {
			fields = append(fields, corridor.FieldError{Field: "before", Message: "must be the next_before of an earlier page"})
		} else {
			before = &cur
		}
	}
	if len(fields) > 0 {
		return 0, nil, corridor.Invalid("The query has invalid parameters.", fields...)
	}
	return limit, before, nil
}

// encodeCursor makes the opaque before= value of a page boundary: the
// received time and the message id, which breaks ties.
func encodeCursor(c exchange.FailedCursor) string {
	return httpapi.PackCursor(httpapi.FormatMicros(c.ReceivedAt), c.MessageID)
}

// decodeCursor reads what encodeCursor made, and refuses anything else.
func decodeCursor(s string) (exchange.FailedCursor, bool) {
	keys, ok := httpapi.UnpackCursor(s, 2)
	if !ok || !corridor.IsCode(keys[1]) {
		return exchange.FailedCursor{}, false
	}
	t, ok := httpapi.ParseMicros(keys[0])
	if !ok {
		return exchange.FailedCursor{}, false
	}
	return exchange.FailedCursor{ReceivedAt: t, MessageID: keys[1]}, true
}
