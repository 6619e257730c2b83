package web

import (
	"net/http"
	"net/url"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/services/casework/internal/query"
	"github.com/corridor-org/corridor/services/casework/internal/store"
)

// overviewRow is one status of the overview, on both sides.
type overviewRow struct {
	Status                     cases.Status
	Incoming, Outgoing         int
	Overdue, Unassigned        int
	IncomingLink, OutgoingLink string
}

// overviewData is the agency's overview.
type overviewData struct {
	Rows                       []overviewRow
	Total, Overdue, Unassigned int
}

// serveOverview counts the agency's referrals by status, with links to
// each list: GET /overview (supervisors).
func (s *Site) serveOverview(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(r)
	if !ok {
		s.ui.Error(w, r, http.StatusUnauthorized)
		return
	}
	counts, err := s.svc.Overview(r.Context(), c)
	if err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	data := &overviewData{}
	byStatus := map[cases.Status]*overviewRow{}
	for _, st := range cases.Statuses() {
		link := func(dir store.Direction) string {
			return pathInbox + "?" + url.Values{"direction": {string(dir)}, "status": {string(st)}}.Encode()
		}
		data.Rows = append(data.Rows, overviewRow{Status: st, IncomingLink: link(store.Incoming), OutgoingLink: link(store.Outgoing)})
	}
	for i := range data.Rows {
		byStatus[data.Rows[i].Status] = &data.Rows[i]
	}
	for _, n := range counts {
		row := byStatus[n.Status]
		if row == nil {
			continue
		}
		if n.Side == cases.Sender {
			row.Outgoing += n.Count
		} else {
			row.Incoming += n.Count
		}
		row.Overdue += n.Overdue
		row.Unassigned += n.Unassigned
		data.Total += n.Count
		data.Overdue += n.Overdue
		data.Unassigned += n.Unassigned
	}
	// Statuses nobody is in are left out: the table stays short on a phone.
	rows := data.Rows[:0]
	for _, row := range data.Rows {
		if row.Incoming+row.Outgoing > 0 {
			rows = append(rows, row)
		}
	}
	data.Rows = rows
	s.ui.Render(w, r, http.StatusOK, s.overview, s.ui.NewView(r, "overview.title", data))
}

// messagesData is a page of the failed inbox messages.
type messagesData struct {
	Messages []exchange.InboxMessage
	Next     string
	// RelayQuarantine is the relay's quarantine page, when configured.
	RelayQuarantine string
}

// serveMessages lists the received messages that could not be applied,
// newest first, each with a retry button: GET /admin/messages. Messages
// carry identifiers and the failure, never the payload.
func (s *Site) serveMessages(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(r)
	if !ok {
		s.ui.Error(w, r, http.StatusUnauthorized)
		return
	}
	data := &messagesData{}
	if s.relay != "" {
		data.RelayQuarantine = s.relay + "/admin/quarantine"
	}
	v := s.ui.NewView(r, "messages.title", data)
	if r.URL.Query().Get("done") != "" {
		v.Notice = "notice.retried"
	}
	limit, before, err := query.FailedPage(r.URL.Query())
	if err != nil {
		s.failOrShow(w, r, v, s.messages, err)
		return
	}
	page, err := s.svc.FailedInbox(r.Context(), c, limit, before)
	if err != nil {
		s.failOrShow(w, r, v, s.messages, err)
		return
	}
	data.Messages = page.Messages
	if page.Next != nil {
		data.Next = pathMessages + "?" + url.Values{"before": {query.EncodeFailedCursor(*page.Next)}}.Encode()
	}
	s.ui.Render(w, r, http.StatusOK, s.messages, v)
}

// retry offers a failed message to the applier again: POST
// /admin/messages/{message_id}/retry.
func (s *Site) retry(w http.ResponseWriter, r *http.Request) {
	c, ok := s.caller(r)
	if !ok {
		s.ui.Error(w, r, http.StatusUnauthorized)
		return
	}
	if _, err := s.svc.RetryFailed(r.Context(), c, r.PathValue("message_id")); err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	http.Redirect(w, r, pathMessages+"?done=retry", http.StatusSeeOther)
}
