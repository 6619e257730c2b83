package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestRespondInfoCorrectsDocument: an answer may carry corrected groups of
// the referral document. Bad groups are refused by their path in the
// document and change nothing; good ones replace the groups in both
// countries' copies, and the records name the groups, never their content.
func TestRespondInfoCorrectsDocument(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	p.bf.mustAct(p.bfUser, p.id, "request_info", eventExample(t, "request_info"))
	p.send(p.bf)
	reqID := path(p.ci.get(p.ciUser, p.id), "info_requests", 0, "request_id")
	answer := func(changes map[string]any) map[string]any {
		b := eventExample(t, "respond_info")
		b["request_id"] = reqID
		b["child"] = exampleDoc(t)["child"]
		for k, v := range changes {
			set(t, b, k, v)
		}
		return b
	}
	future := time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)

	before := map[*member]string{p.ci: p.snapshot(p.ci), p.bf: p.snapshot(p.bf)}
	docBefore := p.ci.get(p.ciUser, p.id)
	for _, tc := range []struct {
		name    string
		changes map[string]any
		field   string
	}{
		{"a code off its list", map[string]any{"child.sex": "robot"}, "child.sex"},
		{"a required field missing", map[string]any{"family.guardians.0.relation": nil}, "family.guardians[0].relation"},
		{"a rule between fields", map[string]any{"child.date_of_birth": future}, "child.date_of_birth"},
		{"a NUL character", map[string]any{"family.tracing_status": "in_\x00progress"}, "family.tracing_status"},
		{"consent without its giver", map[string]any{"consent": map[string]any{"to_services": true, "to_share_abroad": true}}, "consent.given_by"},
		{"an override's author from the body", map[string]any{"consent": map[string]any{"given_by": "child", "to_services": true,
			"to_share_abroad": false, "override": map[string]any{"reason": "x", "by": "someone"}}}, "consent.override.by"},
		{"a bad trafficking status", map[string]any{"trafficking": map[string]any{"status": "perhaps"}}, "trafficking.status"},
	} {
		r := p.ci.act(p.ciUser, p.id, "respond_info", answer(tc.changes))
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422: %s", tc.name, r.status, r.body)
			continue
		}
		var names []string
		for _, e := range r.problem(t).Errors {
			names = append(names, e.Field)
		}
		if !strings.Contains(","+strings.Join(names, ",")+",", ","+tc.field+",") {
			t.Errorf("%s: errors name %v, want %s", tc.name, names, tc.field)
		}
	}
	for m, want := range before {
		if got := p.snapshot(m); got != want {
			t.Errorf("%s changed: %s, was %s", m.code, got, want)
		}
	}
	if after := p.ci.get(p.ciUser, p.id); !reflect.DeepEqual(after["child"], docBefore["child"]) || !reflect.DeepEqual(after["family"], docBefore["family"]) {
		t.Errorf("a refused answer changed the document")
	}

	good := answer(map[string]any{"child.date_of_birth": "2013-03", "child.age_years": nil, "child.age_estimated": false,
		"child.age_assessment_method": nil})
	v := p.ci.mustAct(p.ciUser, p.id, "respond_info", good)
	p.send(p.ci)
	bf := p.bf.get(p.bfUser, p.id)
	for who, view := range map[string]map[string]any{"CI": v, "BF": bf} {
		if got := path(view, "child", "date_of_birth"); got != "2013-03" {
			t.Errorf("%s child.date_of_birth %v, want the corrected 2013-03", who, got)
		}
		if got := path(view, "family", "guardians", 0, "contact", "phone"); got != "+22670000000" {
			t.Errorf("%s family phone %v, want the corrected one", who, got)
		}
		if got := path(view, "info_requests", 0, "response", "updated_groups"); !reflect.DeepEqual(got, []any{"child", "family"}) {
			t.Errorf("%s updated_groups %v, want [child family]", who, got)
		}
		h := view["history"].([]any)
		if note := path(h[len(h)-1], "note"); note != "updated child, family" {
			t.Errorf("%s history note %q, want the groups' names", who, note)
		}
		if got := path(view, "consent"); !reflect.DeepEqual(got, docBefore["consent"]) {
			t.Errorf("%s consent changed though not sent: %v", who, got)
		}
	}
	for _, k := range []string{"child", "family", "consent", "best_interests", "work", "trafficking"} {
		if !reflect.DeepEqual(v[k], bf[k]) {
			a, _ := json.Marshal(v[k])
			b, _ := json.Marshal(bf[k])
			t.Errorf("%s differs:\nCI %s\nBF %s", k, a, b)
		}
	}
	p.agree("delivered")

	// A consent group with a supervisor's override: attributed to the
	// supervisor, and applied by the other side.
	p.bf.mustAct(p.bfUser, p.id, "request_info", eventExample(t, "request_info"))
	p.send(p.bf)
	override := eventExample(t, "respond_info")
	delete(override, "family")
	override["request_id"] = path(p.ci.get(p.ciUser, p.id), "info_requests", 1, "request_id")
	override["consent"] = map[string]any{"given_by": "child", "to_services": true, "to_share_abroad": false,
		"override": map[string]any{"reason": "The child's safety requires sharing with the authorities abroad."}}
	if r := p.ci.act(p.ciUser, p.id, "respond_info", override); r.status != http.StatusForbidden {
		t.Errorf("an inspector overrides consent: %d %s", r.status, r.body)
	}
	p.ci.mustAct("ci-dgt-supervisor", p.id, "respond_info", override)
	p.send(p.ci)
	p.agree("delivered")
	for who, v := range map[string]map[string]any{"CI": p.ci.get(p.ciUser, p.id), "BF": p.bf.get(p.bfUser, p.id)} {
		if by := path(v, "consent", "override", "by"); by != "ci-dgt-supervisor" {
			t.Errorf("%s consent override by %v, want ci-dgt-supervisor", who, by)
		}
	}

	// The groups' content is in the document only.
	for _, m := range []*member{p.ci, p.bf} {
		var stored string
		if err := m.pool.QueryRow(t.Context(), `SELECT string_agg(response::text, ' ') FROM referral_info_requests WHERE referral_id = $1`, p.id).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, "+22670000000") || strings.Contains(stored, "Demo Issa") {
			t.Errorf("%s stored the groups' content with the answer: %s", m.code, stored)
		}
	}
}
