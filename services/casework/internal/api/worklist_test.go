package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// createWith files the example referral changed by edits (dotted path to
// value, nil deleting) as username, and returns its id.
func (m *member) createWith(username string, edits map[string]any) string {
	m.t.Helper()
	doc := exampleDoc(m.t)
	for path, v := range edits {
		set(m.t, doc, path, v)
	}
	r := m.do(http.MethodPost, "/api/v1/referrals", m.token(username), doc)
	if r.status != http.StatusCreated {
		m.t.Fatalf("create referral as %s: %d %s", username, r.status, r.body)
	}
	return r.json(m.t)["id"].(string)
}

// page is one answer of the list.
type page struct {
	ids  []string
	next string
	raw  []map[string]any
}

// list asks for a list page as username; query is without the direction.
func (m *member) list(username, direction, query string) page {
	m.t.Helper()
	r := m.do(http.MethodGet, "/api/v1/referrals?direction="+direction+"&"+query, m.token(username), nil)
	if r.status != http.StatusOK {
		m.t.Fatalf("list %s?%s as %s: %d %s", direction, query, username, r.status, r.body)
	}
	body := r.json(m.t)
	var p page
	for _, it := range body["items"].([]any) {
		item := it.(map[string]any)
		p.ids = append(p.ids, item["id"].(string))
		p.raw = append(p.raw, item)
	}
	p.next, _ = body["next_before"].(string)
	return p
}

// all walks every page of a list, limit at a time, calling between
// before each next page.
func (m *member) all(username, direction, query string, limit int, between func()) []string {
	m.t.Helper()
	var ids []string
	before := ""
	for range 100 {
		q := query + "&limit=" + strconv.Itoa(limit)
		if before != "" {
			q += "&before=" + url.QueryEscape(before)
		}
		p := m.list(username, direction, q)
		if len(p.ids) > limit {
			m.t.Fatalf("page of %d for limit %d", len(p.ids), limit)
		}
		ids = append(ids, p.ids...)
		if p.next == "" {
			return ids
		}
		before = p.next
		if between != nil {
			between()
		}
	}
	m.t.Fatal("list does not end")
	return nil
}

func sameIDs(a, b []string) bool { return slices.Equal(a, b) }

// TestListFilters files referrals that differ in one way each, and checks
// every filter selects exactly the ones it should.
func TestListFilters(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	const user = "ci-caseworker"
	past, future := "2026-01-15", "2099-01-01"
	lateUrgent := ci.createWith(user, map[string]any{"respond_by": past})
	lateRoutine := ci.createWith(user, map[string]any{"respond_by": past, "urgency": "routine"})
	onTimeAsap := ci.createWith(user, map[string]any{"respond_by": nil, "urgency": "asap"}) // due in a day
	onTime := ci.createWith(user, map[string]any{"respond_by": future})
	withdrawn := ci.createWith(user, map[string]any{"respond_by": "2026-01-10"})
	if r := ci.do(http.MethodPost, "/api/v1/referrals/"+withdrawn+"/withdraw", ci.token(user), nil); r.status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	caseRef := ci.get(user, onTime)["case_ref"].(string)
	everything := []string{withdrawn, onTime, onTimeAsap, lateRoutine, lateUrgent} // newest first

	tests := []struct {
		query string
		want  []string
	}{
		{"", everything},
		{"sort=newest", everything},
		{"status=sent", []string{onTime, onTimeAsap, lateRoutine, lateUrgent}},
		{"status=withdrawn", []string{withdrawn}},
		{"status=withdrawn,sent", everything},
		{"status=withdrawn&status=sent", everything},
		{"status=accepted", nil},
		{"urgency=routine", []string{lateRoutine}},
		{"urgency=asap,routine", []string{onTimeAsap, lateRoutine}},
		{"urgency=urgent&status=sent", []string{onTime, lateUrgent}},
		{"overdue=true", []string{lateRoutine, lateUrgent}}, // not the withdrawn one: decided
		{"overdue=false", everything},
		{"overdue=true&urgency=urgent", []string{lateUrgent}},
		{"case_ref=" + caseRef, []string{onTime}},
		{"case_ref=case-doesnotexist", nil},
		{"assigned=none", everything},
		{"assigned=me", nil},
		// Most urgent first: asap, then urgent by the earliest due, then routine.
		{"sort=urgent", []string{onTimeAsap, withdrawn, lateUrgent, onTime, lateRoutine}},
		{"sort=urgent&overdue=true", []string{lateUrgent, lateRoutine}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got := ci.list(user, "outgoing", tc.query)
			if !sameIDs(got.ids, tc.want) || got.next != "" {
				t.Errorf("%q: %v (next %q), want %v", tc.query, got.ids, got.next, tc.want)
			}
		})
	}
	// The other agency of the country sees none of them, whatever it asks.
	for _, q := range []string{"", "overdue=true", "case_ref=" + caseRef, "q=issa"} {
		if got := ci.list("ci-inspector", "outgoing", q); len(got.ids) != 0 {
			t.Errorf("ci-inspector %q: %v, want nothing", q, got.ids)
		}
	}
	// The list shows when a decision is due.
	for _, item := range ci.list(user, "outgoing", "case_ref="+caseRef).raw {
		if item["decision_due_at"] != "2099-01-02T00:00:00Z" {
			t.Errorf("decision_due_at = %v, want the end of respond_by", item["decision_due_at"])
		}
	}
}

// TestListCursor walks both orders a page at a time while referrals keep
// arriving: every referral there at the start is listed exactly once, in
// the order of the whole list.
func TestListCursor(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	const user = "ci-caseworker"
	urgencies := []string{"routine", "asap", "urgent"}
	for i := range 7 {
		// Equal keys in both orders (same urgency and respond_by) test the
		// id tie-break.
		ci.createWith(user, map[string]any{"urgency": urgencies[i%3], "respond_by": []string{"2099-01-01", "2099-02-01"}[i%2]})
	}
	var arrived []string
	for _, sort := range []string{"newest", "urgent"} {
		t.Run(sort, func(t *testing.T) {
			for _, limit := range []int{1, 2, 3, 7} {
				whole := ci.list(user, "outgoing", "sort="+sort+"&limit=500").ids
				// One referral arrives after the first page: the newest,
				// and due before any other asap one, so before the cursor
				// in either order.
				var added []string
				got := ci.all(user, "outgoing", "sort="+sort, limit, func() {
					if len(added) == 0 {
						added = append(added, ci.createWith(user, map[string]any{"urgency": "asap", "respond_by": fmt.Sprintf("%d-01-01", 2000-len(arrived))}))
						arrived = append(arrived, added[0])
					}
				})
				var old []string
				for i, id := range got {
					if slices.Contains(got[:i], id) {
						t.Fatalf("limit %d: %s listed twice", limit, id)
					}
					if !slices.Contains(added, id) {
						old = append(old, id)
					}
				}
				// Everything that was there at the start, in order: no
				// gap, no repeat.
				if !sameIDs(old, whole) {
					t.Errorf("limit %d: listed %v,\nwant %v", limit, old, whole)
				}
				if len(old) != len(got) && limit < len(whole) {
					t.Errorf("limit %d: a referral filed after the first page showed on a later page", limit)
				}
			}
		})
	}
	// A cursor belongs to its order.
	p := ci.list(user, "outgoing", "sort=newest&limit=1")
	r := ci.do(http.MethodGet, "/api/v1/referrals?direction=outgoing&sort=urgent&before="+url.QueryEscape(p.next), ci.token(user), nil)
	if r.status != http.StatusUnprocessableEntity || r.problem(t).Errors[0].Field != "before" {
		t.Errorf("newest cursor on the urgent list: %d %s", r.status, r.body)
	}
}

// TestListNameSearch searches the child's names, whatever their case and
// accents, in any part of them.
func TestListNameSearch(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	const user = "ci-caseworker"
	celine := ci.createWith(user, map[string]any{"child.name": map[string]any{"given_names": "Céline", "family_names": "Ouédraogo"}, "child.other_names": nil})
	upper := ci.createWith(user, map[string]any{"child.name": map[string]any{"full_name": "CELINE  TRAORÉ"}, "child.other_names": nil})
	alias := ci.createWith(user, map[string]any{"child.name": map[string]any{"given_names": "Marc"}, "child.other_names": []any{"Le Petit Zoë"}})
	local := ci.createWith(user, map[string]any{"child.name": map[string]any{"given_names": "Awa"}, "child.other_names": nil,
		"child.name_local_script": map[string]any{"full_name": "Ἀθηνᾶ Ωμέγα", "script": "el"}})

	tests := []struct {
		q    string
		want []string
	}{
		{"celine", []string{upper, celine}},
		{"CÉLINE", []string{upper, celine}},
		{"Céline Ouedraogo", []string{celine}},
		{"celine traore", []string{upper}}, // runs of spaces count as one
		{"  celine   traore ", []string{upper}},
		{"draog", []string{celine}},
		{"zoe", []string{alias}}, // other names
		{"petit zoë", []string{alias}},
		{"Ωμέγα", []string{local}}, // the name in the local script
		{"ωμεγα", []string{local}}, // in any case, in any script
		{"issa", nil},
		{"%%%", nil}, // LIKE's characters match themselves
		{"___", nil},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			got := ci.list(user, "outgoing", "q="+url.QueryEscape(tc.q))
			if !sameIDs(got.ids, tc.want) {
				t.Errorf("q=%q: %v, want %v", tc.q, got.ids, tc.want)
			}
			// The search composes with the urgent order and its cursor.
			if urgent := ci.all(user, "outgoing", "sort=urgent&q="+url.QueryEscape(tc.q), 1, nil); len(urgent) != len(tc.want) {
				t.Errorf("q=%q sort=urgent: %v, want %d", tc.q, urgent, len(tc.want))
			}
		})
	}
}

// TestListRejectsBadParameters names each parameter at fault.
func TestListRejectsBadParameters(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	tests := []struct {
		query string
		field []string
	}{
		{"direction=outgoing&sort=oldest", []string{"sort"}},
		{"direction=outgoing&sort=URGENT", []string{"sort"}},
		{"direction=outgoing&status=lost", []string{"status"}},
		{"direction=outgoing&status=sent,", []string{"status"}},
		{"direction=outgoing&urgency=soon", []string{"urgency"}},
		{"direction=outgoing&overdue=yes", []string{"overdue"}},
		{"direction=outgoing&case_ref=a%20b", []string{"case_ref"}},
		{"direction=outgoing&q=ab", []string{"q"}},
		{"direction=outgoing&q=", []string{"q"}},
		{"direction=outgoing&q=%20%20%20", []string{"q"}},
		{"direction=outgoing&q=ab%00c", []string{"q"}},
		{"direction=outgoing&q=" + strings.Repeat("a", 201), []string{"q"}},
		{"direction=outgoing&assigned=you", []string{"assigned"}},
		{"direction=outgoing&limit=0", []string{"limit"}},
		{"direction=outgoing&limit=501", []string{"limit"}},
		{"direction=outgoing&before=%21%21", []string{"before"}},
		{"direction=outgoing&before=" + url.QueryEscape(packed("newest:x:ref-1")), []string{"before"}},
		{"direction=outgoing&sort=urgent&before=" + url.QueryEscape(packed("urgent:9:1700000000000000:ref-1")), []string{"before"}},
		{"direction=outgoing&sort=urgent&before=" + url.QueryEscape(packed("urgent:1:1700000000000000:a b")), []string{"before"}},
		{"direction=sideways&sort=oldest&limit=0", []string{"direction", "sort", "limit"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := ci.do(http.MethodGet, "/api/v1/referrals?"+tc.query, ci.token("ci-caseworker"), nil)
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", r.status, r.body)
			}
			var fields []string
			for _, e := range r.problem(t).Errors {
				fields = append(fields, e.Field)
			}
			if !slices.Equal(fields, tc.field) {
				t.Errorf("errors name %v, want %v", fields, tc.field)
			}
		})
	}
}

// TestAssign: a supervisor of the holding agency assigns a referral to a
// user of the agency, who finds it with assigned=me; no one else may, and
// nothing crosses the border.
func TestAssign(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	bf := newMember(t, "BF", true)
	outgoing := ci.createWith("ci-caseworker", nil)
	other := ci.createWith("ci-caseworker", nil)
	fromDGT := ci.createWith("ci-inspector", nil)
	ci.relay(ci.outbox(outgoing)[0], bf)
	bf.waitStatus("bf-caseworker", outgoing, "delivered")
	outboxBefore := ci.count("exchange_outbox")

	assign := func(m *member, user, id string, body any) response {
		return m.do(http.MethodPost, "/api/v1/referrals/"+id+"/assign", m.token(user), body)
	}
	tests := []struct {
		name   string
		m      *member
		user   string
		id     string
		body   any
		status int
		field  string
	}{
		{"caseworker may not", ci, "ci-caseworker", outgoing, map[string]any{"assignee": "ci-caseworker"}, http.StatusForbidden, ""},
		{"inspector may not", ci, "ci-inspector", fromDGT, map[string]any{"assignee": "ci-inspector"}, http.StatusForbidden, ""},
		{"another agency's referral", ci, "ci-supervisor", fromDGT, map[string]any{"assignee": "ci-caseworker"}, http.StatusForbidden, ""},
		{"no such referral", ci, "ci-supervisor", "ref-doesnotexist", map[string]any{"assignee": "ci-caseworker"}, http.StatusNotFound, ""},
		{"no assignee", ci, "ci-supervisor", outgoing, map[string]any{}, http.StatusUnprocessableEntity, "assignee"},
		{"empty assignee", ci, "ci-supervisor", outgoing, map[string]any{"assignee": ""}, http.StatusUnprocessableEntity, "assignee"},
		{"not ASCII", ci, "ci-supervisor", outgoing, map[string]any{"assignee": "zoë"}, http.StatusUnprocessableEntity, "assignee"},
		{"too long", ci, "ci-supervisor", outgoing, map[string]any{"assignee": strings.Repeat("u", 256)}, http.StatusUnprocessableEntity, "assignee"},
		{"unknown field", ci, "ci-supervisor", outgoing, map[string]any{"assignee": "ci-caseworker", "role": "x"}, http.StatusUnprocessableEntity, "role"},
		{"malformed", ci, "ci-supervisor", outgoing, "{", http.StatusBadRequest, ""},
		{"assignee of the wrong type", ci, "ci-supervisor", outgoing, map[string]any{"assignee": 7}, http.StatusUnprocessableEntity, "assignee"},
		{"assignee a list", ci, "ci-supervisor", outgoing, map[string]any{"assignee": []any{"ci-caseworker"}}, http.StatusUnprocessableEntity, "assignee"},
		{"caseworker may not unassign", ci, "ci-caseworker", outgoing, map[string]any{"assignee": nil}, http.StatusForbidden, ""},
		{"outgoing", ci, "ci-supervisor", outgoing, map[string]any{"assignee": "ci-caseworker"}, http.StatusOK, ""},
		{"incoming", bf, "bf-supervisor", outgoing, map[string]any{"assignee": "bf-caseworker"}, http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := assign(tc.m, tc.user, tc.id, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status != http.StatusOK {
				p := r.problem(t)
				if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
					t.Errorf("errors %+v, want one naming %s", p.Errors, tc.field)
				}
				return
			}
			v := r.json(t)
			want := map[*member]string{ci: "ci-caseworker", bf: "bf-caseworker"}[tc.m]
			if v["assignee"] != want || v["status"] == "" {
				t.Errorf("assignee %v, want %s", v["assignee"], want)
			}
		})
	}
	// assigned=me, for the assignee only; assigned=none, the rest.
	if got := ci.list("ci-caseworker", "outgoing", "assigned=me").ids; !sameIDs(got, []string{outgoing}) {
		t.Errorf("ci-caseworker assigned=me: %v", got)
	}
	if got := ci.list("ci-supervisor", "outgoing", "assigned=me").ids; len(got) != 0 {
		t.Errorf("ci-supervisor assigned=me: %v", got)
	}
	if got := ci.list("ci-supervisor", "outgoing", "assigned=none").ids; !sameIDs(got, []string{other}) {
		t.Errorf("assigned=none: %v", got)
	}
	if got := bf.list("bf-caseworker", "incoming", "assigned=me").raw; len(got) != 1 || got[0]["assignee"] != "bf-caseworker" {
		t.Errorf("bf-caseworker incoming assigned=me: %v", got)
	}
	// Assigning again replaces the assignee.
	if r := assign(ci, "ci-supervisor", outgoing, map[string]any{"assignee": "ci-supervisor"}); r.status != http.StatusOK {
		t.Fatalf("reassign: %d %s", r.status, r.body)
	}
	if got := ci.list("ci-supervisor", "outgoing", "assigned=me").ids; !sameIDs(got, []string{outgoing}) {
		t.Errorf("after reassigning, ci-supervisor assigned=me: %v", got)
	}
	if got := ci.list("ci-caseworker", "outgoing", "assigned=me").ids; len(got) != 0 {
		t.Errorf("after reassigning, ci-caseworker assigned=me: %v", got)
	}
	// The caseworker still sees its agency's referrals, assigned or not.
	if got := ci.list("ci-caseworker", "outgoing", "").ids; len(got) != 2 {
		t.Errorf("ci-caseworker's list: %v", got)
	}
	// {"assignee": null} unassigns: the referral is nobody's again, and
	// unassigning twice changes nothing more.
	for range 2 {
		r := assign(ci, "ci-supervisor", outgoing, map[string]any{"assignee": nil})
		if r.status != http.StatusOK {
			t.Fatalf("unassign: %d %s", r.status, r.body)
		}
		if v := r.json(t); v["assignee"] != nil {
			t.Errorf("after unassigning, assignee %v", v["assignee"])
		}
	}
	if got := ci.list("ci-supervisor", "outgoing", "assigned=me").ids; len(got) != 0 {
		t.Errorf("after unassigning, ci-supervisor assigned=me: %v", got)
	}
	if got := ci.list("ci-supervisor", "outgoing", "assigned=none").ids; !sameIDs(got, []string{other, outgoing}) {
		t.Errorf("after unassigning, assigned=none: %v", got)
	}
	var by, at any
	if err := ci.pool.QueryRow(t.Context(), `SELECT assigned_by, assigned_at FROM referrals WHERE id = $1`, outgoing).Scan(&by, &at); err != nil {
		t.Fatal(err)
	}
	if by != nil || at != nil {
		t.Errorf("after unassigning, assigned_by %v, assigned_at %v", by, at)
	}
	// The other country's assignment is its own: unassigning here left it.
	if v := bf.get("bf-caseworker", outgoing); v["assignee"] != "bf-caseworker" {
		t.Errorf("BF's assignee %v after CI unassigned", v["assignee"])
	}
	// Nothing was sent: assignment stays in the country.
	if n := ci.count("exchange_outbox"); n != outboxBefore {
		t.Errorf("outbox rows %d, want %d", n, outboxBefore)
	}
}

// packed makes a cursor with the given content, as encodeListCursor would.
func packed(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
