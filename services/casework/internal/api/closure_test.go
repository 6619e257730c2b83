package api_test

import (
	"net/http"
	"testing"

	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// handedOver brings the pair's referral to handed_over on both sides.
func (p *corridorPair) handedOver() {
	p.t.Helper()
	p.accepted()
	p.bf.mustAct(p.bfUser, p.id, "plan_handover", eventExample(p.t, "plan_handover"))
	p.send(p.bf)
	confirm := eventExample(p.t, "confirm_handover")
	delete(confirm, "handed_over_at")
	p.ci.mustAct(p.ciUser, p.id, "confirm_handover", confirm)
	p.send(p.ci)
	p.bf.mustAct(p.bfUser, p.id, "confirm_handover", confirm)
	p.send(p.bf)
	p.agree("handed_over")
}

// TestClosureApproval: where BF requires it, a caseworker's close waits for
// a supervisor of the agency (202, nothing sent); the supervisor rejects
// or approves it, and only the approval closes the case on both sides.
func TestClosureApproval(t *testing.T) {
	t.Parallel()
	p := newPair(t, func(c *workflow.Config) { c.ClosureApproval = true })
	p.handedOver()
	id := p.id
	outbox := func() int { return len(p.bf.outbox(id)) }
	sent := outbox()
	close := map[string]any{"reason_code": "reunified_safe"}
	path := func(what string) string { return "/api/v1/referrals/" + id + "/" + what }

	// Nothing to decide yet.
	for _, what := range []string{"approve_closure", "reject_closure"} {
		if r := p.bf.do(http.MethodPost, path(what), p.bf.token("bf-supervisor"), nil); r.status != http.StatusConflict {
			t.Errorf("%s with no request: %d %s", what, r.status, r.body)
		}
	}

	request := func() {
		t.Helper()
		r := p.bf.act(p.bfUser, id, "close", close)
		if r.status != http.StatusAccepted {
			t.Fatalf("caseworker closes: %d %s", r.status, r.body)
		}
		v := r.json(t)
		cr, _ := v["closure_request"].(map[string]any)
		if v["status"] != "handed_over" || cr["requested_by"] != p.bfUser || cr["reason_code"] != "reunified_safe" {
			t.Fatalf("after the request: status %v, closure_request %v", v["status"], cr)
		}
		if n := outbox(); n != sent {
			t.Fatalf("the request sent %d messages", n-sent)
		}
	}
	request()

	// Who may decide: the agency's supervisors only.
	for _, tc := range []struct {
		user   string
		status int
	}{
		{"bf-caseworker", http.StatusForbidden},
		{"bf-inspector", http.StatusForbidden}, // another agency
		{"bf-admin", http.StatusForbidden},
		{"bf-coordinator", http.StatusForbidden},
	} {
		for _, what := range []string{"approve_closure", "reject_closure"} {
			if r := p.bf.do(http.MethodPost, path(what), p.bf.token(tc.user), nil); r.status != tc.status {
				t.Errorf("%s %s: %d, want %d: %s", tc.user, what, r.status, tc.status, r.body)
			}
		}
	}
	if r := p.bf.do(http.MethodPost, path("approve_closure"), p.bf.token("bf-supervisor"), map[string]any{"x": 1}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("approve with a body: %d %s", r.status, r.body)
	}

	// Rejected: the case stays open, nothing sent.
	r := p.bf.do(http.MethodPost, path("reject_closure"), p.bf.token("bf-supervisor"), nil)
	if r.status != http.StatusOK || r.json(t)["closure_request"] != nil || r.json(t)["status"] != "handed_over" {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	if n := outbox(); n != sent {
		t.Fatalf("the rejection sent %d messages", n-sent)
	}

	// Asked again and approved: closed on both sides, by the supervisor.
	request()
	r = p.bf.do(http.MethodPost, path("approve_closure"), p.bf.token("bf-supervisor"), nil)
	if r.status != http.StatusOK || r.json(t)["status"] != "closed" || r.json(t)["closure_request"] != nil {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	p.send(p.bf)
	v := p.agree("closed")
	if c, _ := v["closure"].(map[string]any); c["reason_code"] != "reunified_safe" {
		t.Errorf("closure = %v", v["closure"])
	}
	if r := p.bf.do(http.MethodPost, path("approve_closure"), p.bf.token("bf-supervisor"), nil); r.status != http.StatusConflict {
		t.Errorf("approve twice: %d %s", r.status, r.body)
	}
}

// TestSupervisorClosesWithoutApproval: a supervisor's own close needs none,
// and settles a caseworker's request waiting.
func TestSupervisorClosesWithoutApproval(t *testing.T) {
	t.Parallel()
	p := newPair(t, func(c *workflow.Config) { c.ClosureApproval = true })
	p.handedOver()
	close := map[string]any{"reason_code": "reunified_safe"}
	if r := p.bf.act(p.bfUser, p.id, "close", close); r.status != http.StatusAccepted {
		t.Fatalf("caseworker closes: %d %s", r.status, r.body)
	}
	r := p.bf.act("bf-supervisor", p.id, "close", map[string]any{"reason_code": "transferred_national_system"})
	if r.status != http.StatusOK || r.json(t)["status"] != "closed" || r.json(t)["closure_request"] != nil {
		t.Fatalf("supervisor closes: %d %s", r.status, r.body)
	}
	p.send(p.bf)
	p.agree("closed")
}
