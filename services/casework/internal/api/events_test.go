package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// snapshot is what a refused request must leave unchanged on one side.
func (p *corridorPair) snapshot(m *member) string {
	p.t.Helper()
	user := p.ciUser
	if m == p.bf {
		user = p.bfUser
	}
	v := m.get(user, p.id)
	return fmt.Sprintf("status=%v history=%d outbox=%d info=%d plans=%d services=%d follow_ups=%d closures=%d",
		v["status"], len(v["history"].([]any)), m.count("exchange_outbox"), m.count("referral_info_requests"),
		m.count("referral_handover_plans"), m.count("referral_services"), m.count("referral_follow_ups"),
		m.count("referral_closures"))
}

// TestEventBodiesAreValidated posts invalid bodies for every event: each
// is refused with a problem naming the field, and changes nothing on either
// side.
func TestEventBodiesAreValidated(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	tomorrow := time.Now().UTC().Add(48 * time.Hour).Format(time.DateOnly)
	with := func(event string, changes map[string]any) map[string]any {
		b := eventExample(t, event)
		for k, v := range changes {
			set(t, b, k, v)
		}
		return b
	}
	tests := []struct {
		event  string
		body   any
		status int
		field  string
	}{
		{"decline", "{}", 422, "reason"},
		{"decline", map[string]any{"reason": "x", "reason_code": "bored"}, 422, "reason_code"},
		{"withdraw", map[string]any{"reason": 7}, 422, "reason"},
		{"request_info", nil, 415, ""},
		{"request_info", "{", 400, ""},
		{"request_info", "{}", 422, "items"},
		{"request_info", map[string]any{"items": []any{}}, 422, "items"},
		{"request_info", with("request_info", map[string]any{"items.0.question": " "}), 422, "items[0].question"},
		{"request_info", with("request_info", map[string]any{"items.1.id": "q1"}), 422, "items[1].id"},
		{"request_info", with("request_info", map[string]any{"items.0.topic": "weather"}), 422, "items[0].topic"},
		{"request_info", with("request_info", map[string]any{"respond_by": "2020-01-01"}), 422, "respond_by"},
		{"request_info", with("request_info", map[string]any{"urgent": true}), 422, "urgent"},
		{"request_info", with("request_info", map[string]any{"note": "a\x00"}), 422, "note"},
		{"respond_info", with("respond_info", map[string]any{"request_id": nil}), 422, "request_id"},
		{"respond_info", with("respond_info", map[string]any{"items.0.answer": ""}), 422, "items[0].answer"},
		{"plan_handover", with("plan_handover", map[string]any{"place": "XX-YY"}), 422, "place"},
		{"plan_handover", with("plan_handover", map[string]any{"place": nil}), 422, "place"},
		{"plan_handover", with("plan_handover", map[string]any{"planned_for": "next week"}), 422, "planned_for"},
		{"plan_handover", with("plan_handover", map[string]any{"planned_for": "2020-02-03T09:00:00Z"}), 422, "planned_for"},
		{"plan_handover", with("plan_handover", map[string]any{"planned_for": time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)}), 422, "planned_for"},
		{"plan_handover", with("plan_handover", map[string]any{"transport": "bicycle"}), 422, "transport"},
		{"plan_handover", with("plan_handover", map[string]any{"escorts.0.name": ""}), 422, "escorts[0].name"},
		{"plan_handover", with("plan_handover", map[string]any{"received_by": nil}), 422, "received_by.name"},
		{"plan_handover", with("plan_handover", map[string]any{"received_by.phone": "call me"}), 422, "received_by.phone"},
		{"plan_handover", with("plan_handover", map[string]any{"travel_documents.0.type": "visa"}), 422, "travel_documents[0].type"},
		{"plan_handover", with("plan_handover", map[string]any{"travel_documents.1.status": "lost"}), 422, "travel_documents[1].status"},
		{"confirm_handover", "{}", 422, "revision"},
		{"confirm_handover", map[string]any{"revision": 0}, 422, "revision"},
		{"confirm_handover", map[string]any{"revision": "1"}, 422, "revision"},
		{"confirm_handover", map[string]any{"revision": 1, "handed_over_at": "2099-01-01T00:00:00Z"}, 422, "handed_over_at"},
		{"record_service", with("record_service", map[string]any{"type": "magic"}), 422, "type"},
		{"record_service", with("record_service", map[string]any{"status": "half"}), 422, "status"},
		{"record_service", with("record_service", map[string]any{"provider": nil}), 422, "provider"},
		{"record_service", with("record_service", map[string]any{"end_date": "2025-01-01"}), 422, "end_date"},
		{"record_follow_up", with("record_follow_up", map[string]any{"method": "telepathy"}), 422, "method"},
		{"record_follow_up", with("record_follow_up", map[string]any{"at_home": "maybe"}), 422, "at_home"},
		{"record_follow_up", with("record_follow_up", map[string]any{"at_risk": nil}), 422, "at_risk"},
		{"record_follow_up", with("record_follow_up", map[string]any{"date": tomorrow}), 422, "date"},
		{"close", "{}", 422, "reason_code"},
		{"close", map[string]any{"reason_code": "bored"}, 422, "reason_code"},
		{"close", map[string]any{"reason_code": "other"}, 422, "note"},
		{"cancel", "{}", 422, "reason_code"},
		{"cancel", map[string]any{"reason_code": "child_missing"}, 422, "reason_code"},
		{"cancel", map[string]any{"reason_code": "other", "note": " "}, 422, "note"},
		{"report_handover_failed", map[string]any{"note": "x"}, 422, "reason_code"},
		{"suspend", "{}", 422, "reason_code"},
		{"resume", map[string]any{"reason_code": "child_ran_away"}, 422, "reason_code"},
		{"mark_entered_in_error", "{}", 422, "reason_code"},
	}
	senderEvents := map[string]bool{"withdraw": true, "respond_info": true, "mark_entered_in_error": true}
	before := map[*member]string{p.ci: p.snapshot(p.ci), p.bf: p.snapshot(p.bf)}
	for _, tc := range tests {
		m, user := p.bf, p.bfUser
		if senderEvents[tc.event] {
			m, user = p.ci, p.ciUser
		}
		r := m.act(user, p.id, tc.event, tc.body)
		if r.status != tc.status {
			t.Errorf("%s %v: status %d, want %d: %s", tc.event, tc.body, r.status, tc.status, r.body)
			continue
		}
		pr := r.problem(t)
		if tc.field == "" {
			continue
		}
		found := false
		for _, e := range pr.Errors {
			found = found || e.Field == tc.field
		}
		if !found {
			t.Errorf("%s %v: errors %+v, want %s named", tc.event, tc.body, pr.Errors, tc.field)
		}
	}
	for m, want := range before {
		if got := p.snapshot(m); got != want {
			t.Errorf("%s changed: %s, was %s", m.code, got, want)
		}
	}

	// What only the stored referral can tell: answers must cite the open
	// request and its questions.
	p.bf.mustAct(p.bfUser, p.id, "request_info", eventExample(t, "request_info"))
	p.send(p.bf)
	reqID := path(p.ci.get(p.ciUser, p.id), "info_requests", 0, "request_id")
	before = map[*member]string{p.ci: p.snapshot(p.ci), p.bf: p.snapshot(p.bf)}
	for _, tc := range []struct {
		changes map[string]any
		field   string
	}{
		{map[string]any{}, "request_id"}, // the example's placeholder id
		{map[string]any{"request_id": reqID, "items.1.question_id": "q9"}, "items[1].question_id"},
	} {
		r := p.ci.act(p.ciUser, p.id, "respond_info", with("respond_info", tc.changes))
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("respond_info %v: %d %s", tc.changes, r.status, r.body)
			continue
		}
		if pr := r.problem(t); len(pr.Errors) != 1 || pr.Errors[0].Field != tc.field {
			t.Errorf("respond_info %v: errors %+v, want %s", tc.changes, pr.Errors, tc.field)
		}
	}
	for m, want := range before {
		if got := p.snapshot(m); got != want {
			t.Errorf("%s changed: %s, was %s", m.code, got, want)
		}
	}
}

// TestEventsAreAuthorized: each side may cause only its own events, and
// the policy decides who acts: on the sending side an inspector only on the
// referrals they filed, the agency's supervisors on all of them.
func TestEventsAreAuthorized(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	before := map[*member]string{p.ci: p.snapshot(p.ci), p.bf: p.snapshot(p.bf)}
	recipientOnly := []string{"accept", "decline", "request_info", "record_service", "record_follow_up", "close",
		"report_handover_failed", "suspend", "resume"}
	senderOnly := []string{"withdraw", "respond_info", "mark_entered_in_error"}
	for _, ev := range recipientOnly {
		if r := p.ci.act(p.ciUser, p.id, ev, eventExample(t, ev)); r.status != http.StatusForbidden {
			t.Errorf("the sender may %s: %d %s", ev, r.status, r.body)
		}
	}
	for _, ev := range senderOnly {
		if r := p.bf.act(p.bfUser, p.id, ev, eventExample(t, ev)); r.status != http.StatusForbidden {
			t.Errorf("the recipient may %s: %d %s", ev, r.status, r.body)
		}
	}
	for _, tc := range []struct {
		m      *member
		user   string
		status int
	}{
		{p.ci, "ci-colleague", http.StatusForbidden},  // same agency, did not file it
		{p.ci, "ci-caseworker", http.StatusForbidden}, // another agency
		{p.ci, "ci-coordinator", http.StatusForbidden},
		{p.bf, "bf-inspector", http.StatusForbidden}, // not the recipient agency
		{p.bf, "bf-admin", http.StatusForbidden},
		{p.bf, "bf-auditor", http.StatusForbidden},
		{p.bf, "bf-coordinator", http.StatusForbidden},
	} {
		ev := "withdraw"
		if tc.m == p.bf {
			ev = "accept"
		}
		if r := tc.m.act(tc.user, p.id, ev, eventExample(t, ev)); r.status != tc.status {
			t.Errorf("%s %s: %d, want %d: %s", tc.user, ev, r.status, tc.status, r.body)
		}
	}
	for m, want := range before {
		if got := p.snapshot(m); got != want {
			t.Errorf("%s changed: %s, was %s", m.code, got, want)
		}
	}
	// What the policy refuses is not offered: the colleague sees the
	// referral with no action; the supervisor is offered the filer's.
	if a := p.ci.get("ci-colleague", p.id)["actions"].([]any); len(a) != 0 {
		t.Errorf("the colleague is offered %v", a)
	}
	filer, sup := fmt.Sprint(p.ci.get(p.ciUser, p.id)["actions"]), fmt.Sprint(p.ci.get("ci-dgt-supervisor", p.id)["actions"])
	if filer == "[]" || sup != filer {
		t.Errorf("actions: filer %s, supervisor %s", filer, sup)
	}
	// The filing agency's supervisor may act for the inspector.
	p.ci.mustAct("ci-dgt-supervisor", p.id, "withdraw", eventExample(t, "withdraw"))
	p.send(p.ci)
	p.agree("withdrawn")
}
