package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
	"github.com/corridor-org/corridor/services/sandbox/internal/supervise"
)

// lifecycle drives referrals through every status of docs/lifecycle.md
// across the running sandbox: CI's and BF's casework, their relays, their
// NATS servers and the hub, each a process of its own. After every step it
// waits until both countries' copies agree; where the rules let messages
// cross, it makes them cross by pausing BF's relay while both sides act.
type lifecycle struct {
	root        string
	ci, bf      sandbox.API // the sender's filer (CI) and the recipient's caseworker (BF)
	coordinator sandbox.API
	// The country administrators read casework's failed inboxes and the relays'
	// quarantines.
	ciAdmin, bfAdmin sandbox.API
	ciRelay, bfRelay sandbox.API
	relayBF          *supervise.Process
	referral         map[string]any // the referral document every case files
	// pii are the free-text values the cases write (notes, answers,
	// places, names of escorts), each unique to this run: the personal
	// data scan looks for them beside the child's identity.
	pii map[string]string
}

// agreedKeys are the parts of a referral that both countries must hold
// alike (the rest, such as the actions, depends on the side).
var agreedKeys = []string{"status", "info_requests", "handover", "services", "follow_ups", "next_follow_up_due", "closure",
	"decision_reason", "decision_reason_code"}

// secret returns a free-text value unique to this run, for a field that
// may hold personal data, and remembers it for the personal data scan.
func (l *lifecycle) secret(t *testing.T, what string) string {
	t.Helper()
	v := "Demo " + what + " " + randomLetters(t, 12)
	key := what
	for i := 2; l.pii[key] != ""; i++ {
		key = fmt.Sprintf("%s (%d)", what, i)
	}
	l.pii[key] = v
	return v
}

// example is docs/examples/events/{event}.json.
func (l *lifecycle) example(t *testing.T, event string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.root, "docs", "examples", "events", event+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("docs/examples/events/%s.json: %v", event, err)
	}
	return v
}

// crossing runs the actions of both sides with BF's relay stopped
// (SIGSTOP), so that neither side's message reaches the other before both
// have acted: CI's message waits in BF's INBOX stream, BF's in BF's
// outbox. The relay continues (SIGCONT) when the actions are done, or when
// the test fails in them.
func (l *lifecycle) crossing(t *testing.T, actions func()) {
	t.Helper()
	pid := l.relayBF.PID()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("pause BF's relay: %v", err)
	}
	defer func() {
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Errorf("continue BF's relay: %v", err)
		}
	}()
	actions()
}

// referralCase is one referral from CI's inspector to BF's child
// protection.
type referralCase struct {
	l       *lifecycle
	t       *testing.T
	id      string
	caseRef string
}

// file files the referral in CI and waits until both sides hold it as
// delivered.
func (l *lifecycle) file(t *testing.T) *referralCase {
	t.Helper()
	r, err := l.ci.FileReferral(t.Context(), l.referral)
	if err != nil {
		t.Fatalf("CI files a referral: %v", err)
	}
	if r.Status != "sent" {
		t.Errorf("a filed referral is %q, want sent", r.Status)
	}
	c := &referralCase{l: l, t: t, id: r.ID, caseRef: r.CaseRef}
	c.agree("delivered")
	return c
}

// act posts an event as the side's user and returns the referral as that
// side now holds it.
func (c *referralCase) act(side sandbox.API, event string, body any) map[string]any {
	c.t.Helper()
	var v map[string]any
	if err := side.Do(c.t.Context(), http.MethodPost, "/api/v1/referrals/"+url.PathEscape(c.id)+"/"+event, body, &v); err != nil {
		c.t.Fatalf("%s %s: %v", c.sideName(side), event, err)
	}
	return v
}

func (c *referralCase) sideName(side sandbox.API) string {
	if side.Base == c.l.ci.Base {
		return "CI"
	}
	return "BF"
}

// agree waits until both sides hold the referral in status with the same
// records (plans and their revisions, confirmations, answers, services,
// follow-ups, closure, decision), and returns both views.
func (c *referralCase) agree(status string) (ci, bf map[string]any) {
	c.t.Helper()
	eventually(c.t, "both sides to agree on "+status, func() error {
		var err error
		if ci, err = c.view(c.l.ci); err != nil {
			return err
		}
		if bf, err = c.view(c.l.bf); err != nil {
			return err
		}
		if ci["status"] != status || bf["status"] != status {
			return fmt.Errorf("CI is %v, BF is %v", ci["status"], bf["status"])
		}
		for _, k := range agreedKeys {
			if !reflect.DeepEqual(ci[k], bf[k]) {
				a, _ := json.Marshal(ci[k])
				b, _ := json.Marshal(bf[k])
				return fmt.Errorf("%s differs:\nCI %s\nBF %s", k, a, b)
			}
		}
		return nil
	})
	return ci, bf
}

func (c *referralCase) view(side sandbox.API) (map[string]any, error) {
	r, err := side.Referral(c.t.Context(), c.id)
	return r.Raw, err
}

// step posts an event and waits until both sides agree on the status it
// leads to; it returns CI's view.
func (c *referralCase) step(side sandbox.API, event string, body any, status string) map[string]any {
	c.t.Helper()
	if got := c.act(side, event, body)["status"]; got != status {
		c.t.Fatalf("%s %s: the acting side is %v, want %s", c.sideName(side), event, got, status)
	}
	ci, _ := c.agree(status)
	return ci
}

// outcome waits until a side's history has the event applied from the
// other side with the outcome of a crossing (overrode_decision,
// superseded, ...): the proof that the messages did cross. A message that
// changes nothing may be applied after both copies already agree.
func (c *referralCase) outcome(side sandbox.API, event, outcome string) {
	c.t.Helper()
	eventually(c.t, c.sideName(side)+" to apply the crossed "+event+" as "+outcome, func() error {
		view, err := c.view(side)
		if err != nil {
			return err
		}
		for _, h := range history(view) {
			if h["event"] == event && h["outcome"] == outcome {
				return nil
			}
		}
		return fmt.Errorf("history %v", history(view))
	})
}

// timeline waits until the coordinator's timeline of the case has every
// milestone, and returns it.
func (c *referralCase) timeline(milestones ...string) []sandbox.Milestone {
	c.t.Helper()
	var tl sandbox.Timeline
	eventually(c.t, "the coordinator's timeline of "+c.caseRef, func() error {
		var err error
		tl, err = c.l.coordinator.Timeline(c.t.Context(), c.caseRef)
		if err != nil {
			return err
		}
		var got []string
		for _, m := range tl.Timeline {
			got = append(got, m.Milestone)
		}
		for _, want := range milestones {
			if !slices.Contains(got, want) {
				return fmt.Errorf("timeline %v lacks %s", got, want)
			}
		}
		return nil
	})
	return tl.Timeline
}

// milestone is the timeline's last entry of a milestone.
func milestone(timeline []sandbox.Milestone, name string) sandbox.Milestone {
	var last sandbox.Milestone
	for _, m := range timeline {
		if m.Milestone == name {
			last = m
		}
	}
	return last
}

func history(view map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := view["history"].([]any)
	for _, h := range list {
		if m, ok := h.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// at follows keys (strings for objects, ints for arrays) into a JSON value.
func at(v any, keys ...any) any {
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

// plan is the example handover plan with this run's free text.
func (l *lifecycle) plan(t *testing.T, who string) map[string]any {
	t.Helper()
	p := l.example(t, "plan_handover")
	p["border_post"] = l.secret(t, who+" border post")
	p["notes"] = l.secret(t, who+" plan notes")
	phone := "+22507" + randomDigits(t, 8)
	l.pii[who+" escort's telephone"] = phone
	p["escorts"] = []any{map[string]any{"name": l.secret(t, who+" escort"), "title": "Social worker", "phone": phone}}
	p["received_by"] = map[string]any{"name": l.secret(t, who+" receiver"), "title": "Child-protection officer"}
	return p
}

// withNote is an event's example body with its free-text field replaced by
// a value unique to this run.
func (l *lifecycle) withNote(t *testing.T, event, field string) map[string]any {
	t.Helper()
	b := l.example(t, event)
	b[field] = l.secret(t, event+" "+field)
	return b
}

// runLifecycle takes referrals through every status on both sides, with
// crossing messages where the rules allow them (docs/lifecycle.md):
//
//   - closed: information requested and given, accepted, planned by BF,
//     revised by both at once (crossing plans, BF's revision holds),
//     revised again by CI, confirmed by both at once (crossing
//     confirmations), a service recorded and updated, a follow-up, on hold
//     and resumed, closed;
//   - declined, while CI's answer to BF's question crossed the decline,
//     then re-referred to BF's shelter under the same case reference;
//   - withdrawn, while BF's acceptance crossed the withdrawal;
//   - first plans proposed by both at once, then cancelled by CI while
//     BF's confirmation crossed the cancellation;
//   - a handover that failed while CI's confirmation crossed the report
//     (the confirmation wins), failed again, re-planned by CI, confirmed by
//     BF while CI revised the plan (the confirmation stands), confirmed by
//     CI, then marked entered in error by CI while BF recorded a service;
//   - a handover that failed, then cancelled by both sides at once.
func runLifecycle(t *testing.T, l *lifecycle) {
	t.Run("closed", func(t *testing.T) {
		c := l.file(t)
		ask := l.example(t, "request_info")
		ask["items"] = []any{
			map[string]any{"id": "q1", "topic": "family", "question": l.secret(t, "question one")},
			map[string]any{"topic": "child", "question": l.secret(t, "question two")},
		}
		ask["note"] = l.secret(t, "request note")
		v := c.step(l.bf, "request_info", ask, "info_requested")
		answer := map[string]any{
			"request_id": at(v, "info_requests", 0, "request_id"),
			"items": []any{
				map[string]any{"question_id": "q1", "answer": l.secret(t, "answer one")},
				map[string]any{"question_id": "q2", "answer": l.secret(t, "answer two")},
			},
			"note": l.secret(t, "response note"),
		}
		c.step(l.ci, "respond_info", answer, "delivered")
		c.step(l.bf, "accept", nil, "accepted")
		v = c.step(l.bf, "plan_handover", l.plan(t, "BF first"), "handover_planned")
		if at(v, "handover", "plan", "revision") != 1.0 || at(v, "handover", "plan", "proposed_by") != "recipient" {
			t.Errorf("plan in force %v, want BF's revision 1", at(v, "handover", "plan"))
		}

		// Both revise the plan at once: both propose revision 2, and the
		// recipient's holds on both sides.
		bfPlan := l.plan(t, "BF second")
		l.crossing(t, func() {
			c.act(l.ci, "plan_handover", l.plan(t, "CI crossing"))
			c.act(l.bf, "plan_handover", bfPlan)
		})
		v, _ = c.agree("handover_planned")
		if at(v, "handover", "plan", "revision") != 2.0 || at(v, "handover", "plan", "border_post") != bfPlan["border_post"] {
			t.Errorf("after crossing plans the plan in force is %v, want BF's revision 2", at(v, "handover", "plan"))
		}
		if n := len(at(v, "handover", "plans").([]any)); n != 3 {
			t.Errorf("%d proposals after crossing plans, want 3 (two of revision 2)", n)
		}

		// CI revises it: revision 3, the sender's.
		v = c.step(l.ci, "plan_handover", l.plan(t, "CI third"), "handover_planned")
		if at(v, "handover", "plan", "revision") != 3.0 || at(v, "handover", "plan", "proposed_by") != "sender" {
			t.Errorf("plan in force %v, want CI's revision 3", at(v, "handover", "plan"))
		}

		// Both confirm at once; each applies the other's confirmation on top
		// of its own.
		confirm := func() map[string]any {
			b := l.withNote(t, "confirm_handover", "notes")
			b["revision"] = 3
			b["handed_over_at"] = time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
			return b
		}
		l.crossing(t, func() {
			if s := c.act(l.ci, "confirm_handover", confirm())["status"]; s != "handover_confirmed_by_sender" {
				t.Errorf("CI confirms: %v", s)
			}
			if s := c.act(l.bf, "confirm_handover", confirm())["status"]; s != "handover_confirmed_by_recipient" {
				t.Errorf("BF confirms: %v", s)
			}
		})
		v, _ = c.agree("handed_over")
		if n := len(at(v, "handover", "confirmations").([]any)); n != 2 {
			t.Errorf("%d confirmations, want 2", n)
		}

		service := l.example(t, "record_service")
		service["provider"] = l.secret(t, "service provider")
		service["notes"] = l.secret(t, "service notes")
		v = c.step(l.bf, "record_service", service, "in_care")
		service["service_id"], service["status"], service["end_date"] = at(v, "services", 0, "service_id"), "done", time.Now().UTC().Format(time.DateOnly)
		v = c.step(l.bf, "record_service", service, "in_care")
		if s, _ := v["services"].([]any); len(s) != 1 || at(s, 0, "status") != "done" {
			t.Errorf("services after the update: %v", v["services"])
		}
		followUp := l.withNote(t, "record_follow_up", "notes")
		followUp["date"] = time.Now().UTC().Format(time.DateOnly)
		v = c.step(l.bf, "record_follow_up", followUp, "in_care")
		if n, _ := v["follow_ups"].([]any); len(n) != 1 || v["next_follow_up_due"] == nil {
			t.Errorf("follow-ups %v, next due %v", v["follow_ups"], v["next_follow_up_due"])
		}
		c.step(l.bf, "suspend", l.withNote(t, "suspend", "note"), "on_hold")
		c.step(l.bf, "resume", l.withNote(t, "resume", "note"), "in_care")
		c.act(l.bf, "close", l.withNote(t, "close", "note"))
		ci, bf := c.agree("closed")
		if at(ci, "closure", "reason_code") != "reunified_safe" {
			t.Errorf("closure %v", ci["closure"])
		}
		for side, v := range map[string]map[string]any{"CI": ci, "BF": bf} {
			if a, _ := v["actions"].([]any); len(a) != 0 {
				t.Errorf("%s may still %v a closed referral", side, a)
			}
		}
		// The confirmations crossed: the recipient reported handed_over
		// when it applied the sender's (a milestone row of its outbox).
		tl := c.timeline("referral_sent", "referral_delivered", "info_requested", "info_provided", "referral_accepted",
			"handover_planned", "handed_over", "service_recorded", "follow_up_recorded", "case_suspended", "case_resumed", "case_closed")
		// The coordinator monitors codes, never the free text beside them.
		want := sandbox.Milestone{ServiceType: "education", AtHome: "yes", InSchool: "yes", StillWorking: "no", AtRisk: "no",
			ClosureReason: "reunified_safe"}
		got := sandbox.Milestone{
			ServiceType: milestone(tl, "service_recorded").ServiceType,
			AtHome:      milestone(tl, "follow_up_recorded").AtHome, InSchool: milestone(tl, "follow_up_recorded").InSchool,
			StillWorking: milestone(tl, "follow_up_recorded").StillWorking, AtRisk: milestone(tl, "follow_up_recorded").AtRisk,
			ClosureReason: milestone(tl, "case_closed").ClosureReason,
		}
		if got != want {
			t.Errorf("the coordinator's tracking facts %+v, want %+v", got, want)
		}
	})

	t.Run("declined while an answer crossed", func(t *testing.T) {
		c := l.file(t)
		v := c.step(l.bf, "request_info", l.withNote(t, "request_info", "note"), "info_requested")
		answer := l.example(t, "respond_info")
		answer["request_id"] = at(v, "info_requests", 0, "request_id")
		answer["note"] = l.secret(t, "crossing response note")
		decline := l.withNote(t, "decline", "reason")
		l.crossing(t, func() {
			c.act(l.ci, "respond_info", answer)
			c.act(l.bf, "decline", decline)
		})
		c.agree("declined")
		c.outcome(l.bf, "respond_info", "recorded_only")
		c.timeline("referral_declined")

		// CI re-refers the child to BF's shelter under the same case.
		var doc map[string]any
		b, _ := json.Marshal(l.referral)
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		doc["recipient"].(map[string]any)["agency"] = "BF-REFUGE" // the demo's shelter in BF
		doc["requested_services"] = []any{"shelter"}
		doc["previous_referral_id"] = c.id
		again, err := l.ci.FileReferral(t.Context(), doc)
		if err != nil {
			t.Fatalf("CI re-refers: %v", err)
		}
		if again.CaseRef != c.caseRef {
			t.Errorf("the re-referral opened case %s, want %s", again.CaseRef, c.caseRef)
		}
		eventually(t, "CI to show the re-referral delivered", func() error {
			r, err := l.ci.Referral(t.Context(), again.ID)
			if err != nil {
				return err
			}
			if r.Status != "delivered" || r.Raw["previous_referral_id"] != c.id {
				return fmt.Errorf("status %s, previous_referral_id %v", r.Status, r.Raw["previous_referral_id"])
			}
			return nil
		})
		eventually(t, "the re-referral on the coordinator's timeline", func() error {
			tl, err := l.coordinator.Timeline(t.Context(), c.caseRef)
			if err != nil {
				return err
			}
			for _, m := range tl.Timeline {
				if m.Milestone == "referral_sent" && m.ReferralID == again.ID {
					if m.PreviousReferralID != c.id {
						return fmt.Errorf("the re-referral follows %q, want %s", m.PreviousReferralID, c.id)
					}
					return nil
				}
			}
			return fmt.Errorf("no referral_sent of %s in %+v", again.ID, tl.Timeline)
		})
	})

	t.Run("withdrawn while an acceptance crossed", func(t *testing.T) {
		c := l.file(t)
		withdraw := l.withNote(t, "withdraw", "reason")
		l.crossing(t, func() {
			c.act(l.bf, "accept", nil)
			c.act(l.ci, "withdraw", withdraw)
		})
		c.agree("withdrawn")
		c.outcome(l.ci, "accept", "superseded_by_withdrawal")
		c.outcome(l.bf, "withdraw", "overrode_decision")
		c.timeline("referral_withdrawn")
	})

	t.Run("cancelled while a confirmation crossed", func(t *testing.T) {
		c := l.file(t)
		c.step(l.bf, "accept", nil, "accepted")
		// Both propose the first plan at once: two of revision 1, and the
		// recipient's holds.
		bfPlan := l.plan(t, "BF at once")
		l.crossing(t, func() {
			c.act(l.ci, "plan_handover", l.plan(t, "CI at once"))
			c.act(l.bf, "plan_handover", bfPlan)
		})
		v, _ := c.agree("handover_planned")
		if at(v, "handover", "plan", "revision") != 1.0 || at(v, "handover", "plan", "border_post") != bfPlan["border_post"] ||
			len(at(v, "handover", "plans").([]any)) != 2 {
			t.Errorf("after crossing first plans the plan in force is %v of %d; want BF's revision 1 of 2",
				at(v, "handover", "plan"), len(at(v, "handover", "plans").([]any)))
		}
		cancel := l.withNote(t, "cancel", "note")
		l.crossing(t, func() {
			c.act(l.bf, "confirm_handover", map[string]any{"revision": 1})
			c.act(l.ci, "cancel", cancel)
		})
		c.agree("cancelled")
		c.outcome(l.ci, "confirm_handover", "superseded")
		c.outcome(l.bf, "cancel", "overrode_decision")
		c.timeline("referral_cancelled")
	})

	t.Run("handover failed, re-planned, entered in error", func(t *testing.T) {
		c := l.file(t)
		c.step(l.bf, "accept", nil, "accepted")
		c.step(l.bf, "plan_handover", l.plan(t, "BF failing"), "handover_planned")
		// CI confirms the handover while BF reports it failed: the
		// confirmation wins.
		failed := l.withNote(t, "report_handover_failed", "note")
		l.crossing(t, func() {
			c.act(l.ci, "confirm_handover", map[string]any{"revision": 1})
			c.act(l.bf, "report_handover_failed", failed)
		})
		c.agree("handover_confirmed_by_sender")
		c.outcome(l.ci, "report_handover_failed", "superseded")
		c.outcome(l.bf, "confirm_handover", "overrode_decision")
		// BF, which has not confirmed, reports the failure again; CI plans
		// anew.
		c.step(l.bf, "report_handover_failed", l.withNote(t, "report_handover_failed", "note"), "handover_failed")
		v := c.step(l.ci, "plan_handover", l.plan(t, "CI replanned"), "handover_planned")
		if at(v, "handover", "plan", "revision") != 2.0 || at(v, "handover", "plan", "proposed_by") != "sender" {
			t.Errorf("plan in force after the failure %v, want CI's revision 2", at(v, "handover", "plan"))
		}
		// BF confirms revision 2 while CI revises it: the confirmation
		// stands, the revision is recorded only.
		l.crossing(t, func() {
			c.act(l.bf, "confirm_handover", map[string]any{"revision": 2})
			c.act(l.ci, "plan_handover", l.plan(t, "CI late"))
		})
		_, bf := c.agree("handover_confirmed_by_recipient")
		c.outcome(l.bf, "plan_handover", "recorded_only")
		if at(bf, "handover", "plan", "revision") != 2.0 || len(at(bf, "handover", "plans").([]any)) != 3 {
			t.Errorf("after a revision crossed BF's confirmation: plan in force %v, %d proposals; want revision 2 of 3",
				at(bf, "handover", "plan"), len(at(bf, "handover", "plans").([]any)))
		}
		c.step(l.ci, "confirm_handover", map[string]any{"revision": 2}, "handed_over")
		// CI marks the referral entered in error while BF records a service:
		// the mark wins over everything.
		service := l.example(t, "record_service")
		service["notes"] = l.secret(t, "crossed service notes")
		eie := l.withNote(t, "mark_entered_in_error", "note")
		l.crossing(t, func() {
			c.act(l.bf, "record_service", service)
			c.act(l.ci, "mark_entered_in_error", eie)
		})
		c.agree("entered_in_error")
		c.outcome(l.ci, "record_service", "superseded")
		c.outcome(l.bf, "mark_entered_in_error", "overrode_decision")
		c.timeline("handover_failed", "handover_planned", "handed_over", "service_recorded", "referral_entered_in_error")
	})

	t.Run("handover failed, cancelled by both at once", func(t *testing.T) {
		c := l.file(t)
		c.step(l.bf, "accept", nil, "accepted")
		c.step(l.ci, "plan_handover", l.plan(t, "CI doomed"), "handover_planned")
		c.step(l.bf, "report_handover_failed", l.example(t, "report_handover_failed"), "handover_failed")
		ciCancel, bfCancel := l.withNote(t, "cancel", "note"), l.example(t, "cancel")
		bfCancel["reason_code"], bfCancel["note"] = "handover_not_possible", l.secret(t, "crossing cancel note")
		l.crossing(t, func() {
			c.act(l.ci, "cancel", ciCancel)
			c.act(l.bf, "cancel", bfCancel)
		})
		c.agree("cancelled")
		c.timeline("handover_failed", "referral_cancelled")
	})

	// No message of the whole lifecycle was quarantined, by casework or by
	// a relay, on either side.
	for _, q := range []struct {
		name, path string
		api        sandbox.API
	}{
		{"CI's casework", "/api/v1/inbox/failed", l.ciAdmin},
		{"BF's casework", "/api/v1/inbox/failed", l.bfAdmin},
		{"CI's relay", "/api/v1/quarantine", l.ciRelay},
		{"BF's relay", "/api/v1/quarantine", l.bfRelay},
	} {
		var list struct {
			Items []map[string]any `json:"items"`
		}
		if err := q.api.Do(t.Context(), http.MethodGet, q.path, nil, &list); err != nil {
			t.Errorf("%s: %v", q.name, err)
		} else if len(list.Items) != 0 {
			t.Errorf("%s quarantined %d messages: %v", q.name, len(list.Items), list.Items)
		}
	}
}

func randomDigits(t *testing.T, n int) string {
	t.Helper()
	letters := randomLetters(t, n)
	var b strings.Builder
	for _, r := range letters {
		b.WriteByte('0' + byte(r-'a')%10)
	}
	return b.String()
}
