package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// dueOf is the step due next in a referral view, and when.
func dueOf(t *testing.T, v map[string]any) (string, time.Time) {
	t.Helper()
	due, ok := v["due"].(map[string]any)
	if !ok {
		return "", time.Time{}
	}
	at, err := time.Parse(time.RFC3339Nano, due["at"].(string))
	if err != nil {
		t.Fatalf("due.at %v: %v", due["at"], err)
	}
	return due["step"].(string), at
}

// TestDueSteps walks a referral through each step that falls due, and
// checks the step and its time on both sides, from the corridor's time
// limits; then that overdue=true lists a referral once its step is past.
func TestDueSteps(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	recorded := func(v map[string]any, keys ...any) time.Time {
		at, err := time.Parse(time.RFC3339Nano, path(v, keys...).(string))
		if err != nil {
			t.Fatalf("%v: %v", keys, err)
		}
		return at
	}
	check := func(step string, want func(v map[string]any) time.Time) {
		t.Helper()
		for _, side := range []struct {
			m    *member
			user string
		}{{p.ci, p.ciUser}, {p.bf, p.bfUser}} {
			v := side.m.get(side.user, p.id)
			got, at := dueOf(t, v)
			if got != step {
				t.Errorf("%s in %v: due step %q, want %q", side.m.code, v["status"], got, step)
				continue
			}
			if step != "" && !at.Equal(want(v)) {
				t.Errorf("%s: %s due at %s, want %s", side.m.code, step, at, want(v))
			}
		}
	}
	decisionDue := func(v map[string]any) time.Time { return recorded(v, "decision_due_at") }

	check("decision", decisionDue)

	first := eventExample(t, "request_info")
	delete(first, "respond_by")
	p.bf.mustAct(p.bfUser, p.id, "request_info", first)
	p.send(p.bf)
	check("information_response", func(v map[string]any) time.Time {
		return recorded(v, "info_requests", 0, "requested", "at").Add(infoResponseWithin)
	})
	// A request with a respond_by date is due at the end of that day.
	answer := eventExample(t, "respond_info")
	answer["request_id"] = path(p.ci.get(p.ciUser, p.id), "info_requests", 0, "request_id")
	p.ci.mustAct(p.ciUser, p.id, "respond_info", answer)
	p.send(p.ci)
	check("decision", decisionDue)
	req := eventExample(t, "request_info")
	respondBy := time.Now().UTC().AddDate(0, 0, 5).Format(time.DateOnly)
	req["respond_by"] = respondBy
	p.bf.mustAct(p.bfUser, p.id, "request_info", req)
	p.send(p.bf)
	check("information_response", func(map[string]any) time.Time {
		d, _ := time.Parse(time.DateOnly, respondBy)
		return d.AddDate(0, 0, 1)
	})
	answer["request_id"] = path(p.ci.get(p.ciUser, p.id), "info_requests", 1, "request_id")
	p.ci.mustAct(p.ciUser, p.id, "respond_info", answer)
	p.send(p.ci)

	p.accepted()
	acceptedAt := func(v map[string]any) time.Time {
		h := v["history"].([]any)
		i := slices.IndexFunc(h, func(e any) bool { return path(e, "event") == "accept" })
		return recorded(h[i].(map[string]any), "at").Add(handoverWithin)
	}
	check("handover", acceptedAt)
	p.bf.mustAct(p.bfUser, p.id, "plan_handover", eventExample(t, "plan_handover"))
	p.send(p.bf)
	check("handover", acceptedAt)
	confirm := eventExample(t, "confirm_handover")
	delete(confirm, "handed_over_at")
	p.ci.mustAct(p.ciUser, p.id, "confirm_handover", confirm)
	p.send(p.ci)
	check("handover", acceptedAt)
	p.bf.mustAct(p.bfUser, p.id, "confirm_handover", confirm)
	p.send(p.bf)
	check("follow_up", func(v map[string]any) time.Time {
		d, err := time.Parse(time.DateOnly, v["next_follow_up_due"].(string))
		if err != nil {
			t.Fatalf("next_follow_up_due %v", v["next_follow_up_due"])
		}
		return d.AddDate(0, 0, 1)
	})

	// Overdue: the list selects by the stored due time; time passing is
	// the due time moving into the past.
	if ids := p.bf.list(p.bfUser, "incoming", "overdue=true").ids; len(ids) != 0 {
		t.Errorf("overdue before the follow-up is due: %v", ids)
	}
	if _, err := p.bf.pool.Exec(t.Context(), `UPDATE referrals SET due_at = now() - interval '1 hour' WHERE id = $1`, p.id); err != nil {
		t.Fatal(err)
	}
	if ids := p.bf.list(p.bfUser, "incoming", "overdue=true").ids; !slices.Equal(ids, []string{p.id}) {
		t.Errorf("overdue after the follow-up was due: %v, want %s", ids, p.id)
	}

	close := map[string]any{"reason_code": "reunified_safe"}
	if r := p.bf.act(p.bfUser, p.id, "close", close); r.status != http.StatusOK {
		t.Fatalf("close: %d %s", r.status, r.body)
	}
	p.send(p.bf)
	check("", nil)
	if ids := p.bf.list(p.bfUser, "incoming", "overdue=true").ids; len(ids) != 0 {
		t.Errorf("a closed case is overdue: %v", ids)
	}
}
