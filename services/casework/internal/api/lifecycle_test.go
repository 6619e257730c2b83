package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/exchange"
	"github.com/corridor-org/corridor/services/casework/internal/workflow"
)

// eventExample is docs/examples/events/{event}.json as a generic JSON
// object.
func eventExample(t *testing.T, event string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "examples", "events", event+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("docs/examples/events/%s.json: %v", event, err)
	}
	return v
}

// act posts event on referral id as username and returns the response.
func (m *member) act(username, id, event string, body any) response {
	m.t.Helper()
	return m.do(http.MethodPost, "/api/v1/referrals/"+id+"/"+event, m.token(username), body)
}

// mustAct is act that fails the test unless the event succeeds.
func (m *member) mustAct(username, id, event string, body any) map[string]any {
	m.t.Helper()
	r := m.act(username, id, event, body)
	if r.status != http.StatusOK {
		m.t.Fatalf("%s %s as %s: %d %s", m.code, event, username, r.status, r.body)
	}
	return r.json(m.t)
}

// corridorPair is two countries' casework with a referral from CI to BF,
// and what each has relayed to the other so far.
type corridorPair struct {
	t       *testing.T
	ci, bf  *member
	id      string
	relayed map[*member]int
	ciUser  string // who acts for CI, the sender
	bfUser  string // who acts for BF, the recipient
}

// newPair files the example referral in CI and brings it to BF, with its
// receipt back: both sides hold it as delivered.
func newPair(t *testing.T, bfOpts ...func(*workflow.Config)) *corridorPair {
	t.Helper()
	p := &corridorPair{t: t, ci: newMember(t, "CI", true), bf: newMember(t, "BF", true, bfOpts...),
		relayed: map[*member]int{}, ciUser: "ci-inspector", bfUser: "bf-caseworker"}
	p.id = p.ci.create(p.ciUser)["id"].(string)
	p.exchange()
	p.ci.receipt(p.ci.outbox(p.id)[0].MessageID)
	p.ci.waitStatus(p.ciUser, p.id, "delivered")
	return p
}

// send relays every message from's outbox holds about the referral that
// was not relayed yet, and waits until the other side applied them.
func (p *corridorPair) send(from *member) {
	p.t.Helper()
	to := p.bf
	if from == p.bf {
		to = p.ci
	}
	msgs := from.outbox(p.id)
	for _, m := range msgs[p.relayed[from]:] {
		if m.MessageType != exchange.TypeMilestone { // for the coordinator only
			from.relay(m, to)
		}
	}
	p.relayed[from] = len(msgs)
	waitFor(p.t, "the inbox of "+string(to.code)+" to be applied", func() bool {
		var pending int
		if err := to.pool.QueryRow(p.t.Context(), `SELECT count(*) FROM exchange_inbox WHERE applied_at IS NULL`).Scan(&pending); err != nil {
			p.t.Fatal(err)
		}
		return pending == 0
	})
}

// exchange relays what each side has not yet sent to the other, both ways,
// as if the messages crossed: both are sent before either is applied.
func (p *corridorPair) exchange() {
	p.t.Helper()
	p.send(p.ci)
	p.send(p.bf)
}

// lifecycleKeys are the parts of a referral that both sides must hold
// alike.
var lifecycleKeys = []string{"status", "info_requests", "handover", "services", "follow_ups", "next_follow_up_due", "closure",
	"decision_reason", "decision_reason_code"}

// agree checks that both sides hold the same status and records, and
// returns CI's view.
func (p *corridorPair) agree(wantStatus string) map[string]any {
	p.t.Helper()
	ci, bf := p.ci.get(p.ciUser, p.id), p.bf.get(p.bfUser, p.id)
	doc := schemas{all: loadOpenAPI(p.t).Components.Schemas, responses: true}
	for who, v := range map[string]map[string]any{"CI": ci, "BF": bf} {
		for _, problem := range doc.conform(who+" referral", doc.ref("Referral"), v) {
			p.t.Errorf("docs/api/openapi.yaml: %s", problem)
		}
	}
	if ci["status"] != wantStatus {
		p.t.Errorf("status %v, want %s", ci["status"], wantStatus)
	}
	for _, k := range lifecycleKeys {
		if !reflect.DeepEqual(ci[k], bf[k]) {
			a, _ := json.MarshalIndent(ci[k], "", " ")
			b, _ := json.MarshalIndent(bf[k], "", " ")
			p.t.Errorf("%s differs:\nCI %s\nBF %s", k, a, b)
		}
	}
	for _, m := range []*member{p.ci, p.bf} {
		var failed int
		if err := m.pool.QueryRow(p.t.Context(), `SELECT count(*) FROM exchange_inbox WHERE apply_error IS NOT NULL`).Scan(&failed); err != nil {
			p.t.Fatal(err)
		}
		if failed != 0 {
			p.t.Errorf("%s quarantined %d messages", m.code, failed)
		}
	}
	return ci
}

// lastMilestone is the tracking milestone of m's newest outbox message.
func (p *corridorPair) lastMilestone(m *member) string {
	p.t.Helper()
	msgs := m.outbox(p.id)
	last := msgs[len(msgs)-1]
	if last.Tracking == nil {
		return ""
	}
	return last.Tracking.Milestone
}

func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// TestWholeLifecycle follows one referral through every event from the
// information request to the closure, each event posted with its example
// body on the side that owns it and carried to the other side: both
// sides hold the same status and records after every step.
func TestWholeLifecycle(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	ci, bf := p.ci, p.bf

	steps := []struct {
		side      *member
		event     string
		body      func(view map[string]any) any
		status    string
		milestone string
		check     func(t *testing.T, view map[string]any)
	}{
		{bf, "request_info", nil, "info_requested", "info_requested", func(t *testing.T, v map[string]any) {
			if got := path(v, "info_requests", 0, "items", 1, "id"); got != "q2" {
				t.Errorf("second question numbered %v, want q2", got)
			}
		}},
		{ci, "respond_info", func(v map[string]any) any {
			b := eventExample(t, "respond_info")
			b["request_id"] = path(v, "info_requests", 0, "request_id")
			return b
		}, "delivered", "info_provided", func(t *testing.T, v map[string]any) {
			if got := path(v, "info_requests", 0, "response", "items", 1, "question_id"); got != "q2" {
				t.Errorf("answers %v", path(v, "info_requests", 0, "response"))
			}
		}},
		{bf, "accept", nil, "accepted", "referral_accepted", nil},
		{bf, "plan_handover", nil, "handover_planned", "handover_planned", func(t *testing.T, v map[string]any) {
			if path(v, "handover", "plan", "revision") != 1.0 || path(v, "handover", "plan", "proposed_by") != "recipient" ||
				path(v, "handover", "plan", "border_post") != "Niangoloko border post" {
				t.Errorf("plan in force %v", path(v, "handover", "plan"))
			}
		}},
		{ci, "confirm_handover", nil, "handover_confirmed_by_sender", "", nil},
		{bf, "confirm_handover", nil, "handed_over", "handed_over", func(t *testing.T, v map[string]any) {
			due := time.Now().UTC().Add(followUpEvery).Format(time.DateOnly)
			if got := v["next_follow_up_due"]; got != due && got != time.Now().UTC().Add(followUpEvery-time.Hour).Format(time.DateOnly) {
				t.Errorf("next_follow_up_due %v, want %s", got, due)
			}
		}},
		{bf, "record_service", nil, "in_care", "service_recorded", nil},
		{bf, "record_service", func(v map[string]any) any {
			b := eventExample(t, "record_service")
			b["service_id"], b["status"], b["end_date"] = path(v, "services", 0, "service_id"), "done", "2026-06-30"
			return b
		}, "in_care", "service_recorded", func(t *testing.T, v map[string]any) {
			if s := v["services"].([]any); len(s) != 1 || path(s, 0, "status") != "done" {
				t.Errorf("services after the update %v", s)
			}
		}},
		{bf, "record_follow_up", func(map[string]any) any {
			// The example's date may precede this test's referral, which
			// is refused; the day's date is not.
			b := eventExample(t, "record_follow_up")
			b["date"] = "0000-01-01"
			if r := bf.act(p.bfUser, p.id, "record_follow_up", b); r.status != http.StatusUnprocessableEntity ||
				len(r.problem(t).Errors) != 1 || r.problem(t).Errors[0].Field != "date" {
				t.Errorf("a follow-up before the referral: %d %s", r.status, r.body)
			}
			b["date"] = time.Now().UTC().Format(time.DateOnly)
			return b
		}, "in_care", "follow_up_recorded", func(t *testing.T, v map[string]any) {
			due := time.Now().UTC().Truncate(24 * time.Hour).Add(followUpEvery).Format(time.DateOnly)
			if v["next_follow_up_due"] != due || path(v, "follow_ups", 0, "method") != "home_visit" {
				t.Errorf("follow-ups %v, next due %v (want %s)", v["follow_ups"], v["next_follow_up_due"], due)
			}
		}},
		{bf, "suspend", nil, "on_hold", "case_suspended", func(t *testing.T, v map[string]any) {
			if v["next_follow_up_due"] != nil {
				t.Errorf("a suspended case has a follow-up due %v", v["next_follow_up_due"])
			}
		}},
		{bf, "resume", nil, "in_care", "case_resumed", nil},
		{bf, "close", nil, "closed", "case_closed", func(t *testing.T, v map[string]any) {
			if path(v, "closure", "reason_code") != "reunified_safe" || v["next_follow_up_due"] != nil {
				t.Errorf("closure %v, next due %v", v["closure"], v["next_follow_up_due"])
			}
		}},
	}
	for _, st := range steps {
		user := p.ciUser
		if st.side == bf {
			user = p.bfUser
		}
		var body any = eventExample(t, st.event)
		if st.body != nil {
			body = st.body(st.side.get(user, p.id))
		}
		got := st.side.mustAct(user, p.id, st.event, body)
		if got["status"] != st.status {
			t.Fatalf("%s: status %v, want %s", st.event, got["status"], st.status)
		}
		if m := p.lastMilestone(st.side); m != st.milestone {
			t.Errorf("%s: milestone %q, want %q", st.event, m, st.milestone)
		}
		p.send(st.side)
		view := p.agree(st.status)
		if st.check != nil {
			st.check(t, view)
		}
		if t.Failed() {
			t.Fatalf("after %s", st.event)
		}
	}
	// What the coordinator learns of the records: codes only.
	for _, m := range bf.outbox(p.id) {
		tr := m.Tracking
		if tr == nil {
			continue
		}
		var got string
		switch tr.Milestone {
		case "service_recorded":
			got = tr.ServiceType
		case "follow_up_recorded":
			got = tr.AtHome + "," + tr.InSchool + "," + tr.StillWorking + "," + tr.AtRisk
		case "case_closed":
			got = tr.ClosureReason
		default:
			continue
		}
		want := map[string]string{"service_recorded": "education", "follow_up_recorded": "yes,yes,no,no",
			"case_closed": "reunified_safe"}[tr.Milestone]
		if got != want {
			t.Errorf("%s tracking: %q, want %q", tr.Milestone, got, want)
		}
	}
	for _, m := range []*member{ci, bf} {
		user := map[*member]string{ci: p.ciUser, bf: p.bfUser}[m]
		if a := m.get(user, p.id)["actions"].([]any); len(a) != 0 {
			t.Errorf("%s may still %v a closed case", m.code, a)
		}
	}
}

// accepted brings the pair's referral to accepted on both sides.
func (p *corridorPair) accepted() {
	p.t.Helper()
	p.bf.mustAct(p.bfUser, p.id, "accept", nil)
	p.send(p.bf)
	p.agree("accepted")
}

// TestHandoverFailsIsReplannedAndCancelled: the recipient reports a failed
// handover, the sender proposes the next plan, then calls the referral off.
func TestHandoverFailsIsReplannedAndCancelled(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	p.accepted()
	p.bf.mustAct(p.bfUser, p.id, "plan_handover", eventExample(t, "plan_handover"))
	p.send(p.bf)
	p.bf.mustAct(p.bfUser, p.id, "report_handover_failed", eventExample(t, "report_handover_failed"))
	p.send(p.bf)
	p.agree("handover_failed")
	if r := p.bf.act(p.bfUser, p.id, "plan_handover", eventExample(t, "plan_handover")); r.status != http.StatusConflict {
		t.Errorf("the recipient plans after a failure: %d %s", r.status, r.body)
	}
	plan := eventExample(t, "plan_handover")
	plan["border_post"] = "Pogo border post"
	p.ci.mustAct(p.ciUser, p.id, "plan_handover", plan)
	p.send(p.ci)
	v := p.agree("handover_planned")
	if path(v, "handover", "plan", "revision") != 2.0 || path(v, "handover", "plan", "proposed_by") != "sender" ||
		path(v, "handover", "plan", "border_post") != "Pogo border post" {
		t.Errorf("plan in force %v", path(v, "handover", "plan"))
	}
	p.ci.mustAct(p.ciUser, p.id, "cancel", eventExample(t, "cancel"))
	if m := p.lastMilestone(p.ci); m != "referral_cancelled" {
		t.Errorf("milestone %q", m)
	}
	p.send(p.ci)
	v = p.agree("cancelled")
	last := path(v, "history", len(v["history"].([]any))-1)
	if path(last, "event") != "cancel" || path(last, "reason_code") != "family_refused" || path(last, "note") != eventExample(t, "cancel")["note"] {
		t.Errorf("last history entry %v", last)
	}
}

// TestEnteredInErrorWinsOverACrossingDecision: the sender marks the
// referral entered in error while the recipient's acceptance is in flight.
func TestEnteredInErrorWinsOverACrossingDecision(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	p.bf.mustAct(p.bfUser, p.id, "accept", nil)
	p.ci.mustAct(p.ciUser, p.id, "mark_entered_in_error", eventExample(t, "mark_entered_in_error"))
	p.exchange()
	p.agree("entered_in_error")
}

// TestCrossingHandoverPlansConverge has both sides revise the plan at
// once, then one side confirm a revision while the other revises it again:
// both sides end with the same status and the same plan in force.
func TestCrossingHandoverPlansConverge(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	p.accepted()
	p.bf.mustAct(p.bfUser, p.id, "plan_handover", eventExample(t, "plan_handover"))
	p.send(p.bf)
	p.agree("handover_planned")

	// Both propose revision 2 at once: the recipient's holds on both sides.
	ciPlan, bfPlan := eventExample(t, "plan_handover"), eventExample(t, "plan_handover")
	ciPlan["border_post"], bfPlan["border_post"] = "Pogo border post", "Yendéré border post"
	p.ci.mustAct(p.ciUser, p.id, "plan_handover", ciPlan)
	p.bf.mustAct(p.bfUser, p.id, "plan_handover", bfPlan)
	p.exchange()
	v := p.agree("handover_planned")
	if path(v, "handover", "plan", "revision") != 2.0 || path(v, "handover", "plan", "border_post") != "Yendéré border post" {
		t.Errorf("plan in force %v", path(v, "handover", "plan"))
	}
	if n := len(path(v, "handover", "plans").([]any)); n != 3 {
		t.Errorf("%d proposals recorded, want 3", n)
	}

	// A confirmation must name the plan in force.
	if r := p.ci.act(p.ciUser, p.id, "confirm_handover", map[string]any{"revision": 1}); r.status != http.StatusConflict {
		t.Errorf("confirm a revision not in force: %d %s", r.status, r.body)
	}
	// The sender confirms revision 2 while the recipient revises it: the
	// confirmation stands, the revision is recorded only.
	p.ci.mustAct(p.ciUser, p.id, "confirm_handover", map[string]any{"revision": 2})
	p.bf.mustAct(p.bfUser, p.id, "plan_handover", eventExample(t, "plan_handover"))
	p.exchange()
	v = p.agree("handover_confirmed_by_sender")
	if path(v, "handover", "plan", "revision") != 2.0 || path(v, "handover", "plan", "border_post") != "Yendéré border post" {
		t.Errorf("plan in force after the crossing %v", path(v, "handover", "plan"))
	}
	if n := len(path(v, "handover", "plans").([]any)); n != 4 {
		t.Errorf("%d proposals recorded, want 4", n)
	}
	p.bf.mustAct(p.bfUser, p.id, "confirm_handover", map[string]any{"revision": 2})
	p.send(p.bf)
	p.agree("handed_over")
}

// TestCrossingConfirmationsConverge: both sides confirm the plan at once.
func TestCrossingConfirmationsConverge(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	p.accepted()
	p.ci.mustAct(p.ciUser, p.id, "plan_handover", eventExample(t, "plan_handover"))
	p.send(p.ci)
	p.ci.mustAct(p.ciUser, p.id, "confirm_handover", eventExample(t, "confirm_handover"))
	p.bf.mustAct(p.bfUser, p.id, "confirm_handover", eventExample(t, "confirm_handover"))
	p.exchange()
	v := p.agree("handed_over")
	if path(v, "handover", "plan", "proposed_by") != "sender" || len(path(v, "handover", "confirmations").([]any)) != 2 {
		t.Errorf("handover %v", v["handover"])
	}
}
