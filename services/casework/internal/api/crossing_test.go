package api_test

import (
	"testing"

	"github.com/corridor-org/corridor/pkg/exchange"
)

// historyOf returns the newest history entry of referral v for event.
func historyOf(v map[string]any, event string) map[string]any {
	h, _ := v["history"].([]any)
	for i := len(h) - 1; i >= 0; i-- {
		if e, _ := h[i].(map[string]any); e["event"] == event {
			return e
		}
	}
	return nil
}

// checkReason fails unless both sides' history keeps event's reason code
// and note as the example body gave them.
func (p *corridorPair) checkReason(event string, body map[string]any) {
	p.t.Helper()
	for who, v := range map[string]map[string]any{"CI": p.ci.get(p.ciUser, p.id), "BF": p.bf.get(p.bfUser, p.id)} {
		e := historyOf(v, event)
		if e == nil {
			p.t.Errorf("%s: no %s in the history", who, event)
			continue
		}
		if e["reason_code"] != body["reason_code"] || e["note"] != body["note"] {
			p.t.Errorf("%s: %s history entry has reason_code %v, note %v; want %v, %v",
				who, event, e["reason_code"], e["note"], body["reason_code"], body["note"])
		}
	}
}

// TestStatusChangeNotesAreKeptOnBothSides: the reason code and the user's
// note of every status change reach both countries' history.
func TestStatusChangeNotesAreKeptOnBothSides(t *testing.T) {
	t.Parallel()
	t.Run("handover failed, handed over, suspended, resumed, entered in error", func(t *testing.T) {
		t.Parallel()
		p := newPair(t)
		p.accepted()
		p.bf.mustAct(p.bfUser, p.id, "plan_handover", eventExample(t, "plan_handover"))
		p.send(p.bf)
		steps := []struct {
			by    *member
			event string
		}{
			{p.bf, "report_handover_failed"},
			{p.ci, "plan_handover"},
			{p.ci, "confirm_handover"},
			{p.bf, "confirm_handover"},
			{p.bf, "suspend"},
			{p.bf, "resume"},
			{p.ci, "mark_entered_in_error"},
		}
		for _, s := range steps {
			body := eventExample(t, s.event)
			if s.event == "confirm_handover" {
				body = map[string]any{"revision": 2}
			}
			user := p.ciUser
			if s.by == p.bf {
				user = p.bfUser
			}
			s.by.mustAct(user, p.id, s.event, body)
			p.send(s.by)
			if _, ok := body["reason_code"]; ok {
				p.checkReason(s.event, body)
			}
		}
		p.agree("entered_in_error")
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		p := newPair(t)
		p.accepted()
		p.bf.mustAct(p.bfUser, p.id, "cancel", eventExample(t, "cancel"))
		p.send(p.bf)
		p.agree("cancelled")
		p.checkReason("cancel", eventExample(t, "cancel"))
	})
}

// TestWithdrawalReasonSurvivesACrossing: a withdrawal that overrides the
// recipient's acceptance keeps its reason on both sides, beside the
// outcome of the crossing; the crossed acceptance is recorded as
// superseded at the sender.
func TestWithdrawalReasonSurvivesACrossing(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	withdraw := eventExample(t, "withdraw")
	p.bf.mustAct(p.bfUser, p.id, "accept", nil)
	p.ci.mustAct(p.ciUser, p.id, "withdraw", withdraw)
	p.exchange()
	p.agree("withdrawn")
	ci, bf := p.ci.get(p.ciUser, p.id), p.bf.get(p.bfUser, p.id)
	tests := []struct {
		who         string
		v           map[string]any
		event       string
		note        any
		wantOutcome any
	}{
		{"CI", ci, "withdraw", withdraw["reason"], nil},
		{"BF", bf, "withdraw", withdraw["reason"], "overrode_decision"},
		{"CI", ci, "accept", nil, "superseded_by_withdrawal"},
		{"BF", bf, "accept", nil, nil},
	}
	for _, tt := range tests {
		e := historyOf(tt.v, tt.event)
		if e == nil || e["note"] != tt.note || e["outcome"] != tt.wantOutcome {
			t.Errorf("%s %s history entry %v: want note %v, outcome %v", tt.who, tt.event, e, tt.note, tt.wantOutcome)
		}
	}
}

// handedOverReports counts the handed_over milestones m's outbox reports to
// the coordinator, and the milestone rows among them.
func (p *corridorPair) handedOverReports(m *member) (reports, milestoneRows int) {
	p.t.Helper()
	for _, msg := range m.outbox(p.id) {
		if msg.Tracking != nil && msg.Tracking.Milestone == "handed_over" {
			reports++
			if msg.MessageType == exchange.TypeMilestone {
				milestoneRows++
				if len(msg.Payload) != 0 {
					p.t.Errorf("%s: a milestone row with a payload", m.code)
				}
			}
		}
	}
	return reports, milestoneRows
}

// TestHandedOverIsReportedOnce: whether the two confirmations follow each
// other or cross, the coordinator learns of the handover exactly once; when
// they cross, from the recipient, through a milestone row.
func TestHandedOverIsReportedOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		crossing bool
		// want: handed_over reports (and milestone rows) of CI and BF
		ci, ciRows, bf, bfRows int
	}{
		{"the recipient confirms second", false, 0, 0, 1, 0},
		{"the confirmations cross", true, 0, 0, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPair(t)
			p.accepted()
			p.ci.mustAct(p.ciUser, p.id, "plan_handover", eventExample(t, "plan_handover"))
			p.send(p.ci)
			p.ci.mustAct(p.ciUser, p.id, "confirm_handover", eventExample(t, "confirm_handover"))
			if !tt.crossing {
				p.send(p.ci)
			}
			p.bf.mustAct(p.bfUser, p.id, "confirm_handover", eventExample(t, "confirm_handover"))
			p.exchange()
			p.agree("handed_over")
			ci, ciRows := p.handedOverReports(p.ci)
			bf, bfRows := p.handedOverReports(p.bf)
			if ci != tt.ci || ciRows != tt.ciRows || bf != tt.bf || bfRows != tt.bfRows {
				t.Errorf("handed_over reports: CI %d (%d milestone rows), BF %d (%d); want CI %d (%d), BF %d (%d)",
					ci, ciRows, bf, bfRows, tt.ci, tt.ciRows, tt.bf, tt.bfRows)
			}
		})
	}
}
