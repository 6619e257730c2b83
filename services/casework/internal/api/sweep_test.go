package api_test

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/cases"
	"github.com/corridor-org/corridor/services/casework/internal/api"
)

// leaf is one value of a JSON document, by the path set takes
// ("items.0.answer") and the path a problem names ("items[0].answer").
type leaf struct {
	set, name string
	value     any
}

// leaves lists every scalar of v, and every container when containers is
// set, in a stable order.
func leaves(v any, set, name string, containers bool) []leaf {
	var out []leaf
	switch v := v.(type) {
	case map[string]any:
		if containers && set != "" {
			out = append(out, leaf{set, name, v})
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, leaves(v[k], join(set, k, "."), join(name, k, "."), containers)...)
		}
	case []any:
		if containers {
			out = append(out, leaf{set, name, v})
		}
		for i, e := range v {
			out = append(out, leaves(e, set+"."+strconv.Itoa(i), name+"["+strconv.Itoa(i)+"]", containers)...)
		}
	default:
		out = append(out, leaf{set, name, v})
	}
	return out
}

func join(prefix, key, sep string) string {
	if prefix == "" {
		return key
	}
	return prefix + sep + key
}

// wrongType is a value of another JSON type than v.
func wrongType(v any) any {
	switch v.(type) {
	case string:
		return 12345
	case map[string]any:
		return []any{1}
	case []any:
		return map[string]any{"a": 1}
	}
	return "not of this type"
}

// sweepCase is one bad request: its body (as do sends it), extra headers,
// the status class wanted and the field its problem must name ("" for
// none).
type sweepCase struct {
	name   string
	body   any
	header http.Header
	status int // exact, or 0 for any 4xx
	field  string
}

// badBodies are the bad requests made from a valid example body: every
// field of the wrong type, with a NUL character, too long; an unknown
// field; malformed JSON, other JSON values, no body and the wrong media
// type.
func badBodies(t *testing.T, example func() map[string]any, bodyOptional bool) []sweepCase {
	with := func(path string, v any) map[string]any {
		b := example()
		set(t, b, path, v)
		return b
	}
	cases := []sweepCase{
		{"malformed JSON", `{"a":`, nil, http.StatusBadRequest, ""},
		{"not JSON", "reason=x", nil, http.StatusBadRequest, ""},
		{"an array", "[]", nil, 0, ""},
		{"a string", `"x"`, nil, 0, ""},
		{"two values", "{} {}", nil, http.StatusBadRequest, ""},
		{"unknown field", with("zz_unknown", 1), nil, http.StatusUnprocessableEntity, "zz_unknown"},
		{"body over the limit", `{"zz":"` + strings.Repeat("x", 2<<20) + `"}`, nil, 0, ""},
		{"wrong content type", example(), http.Header{"Content-Type": {"text/plain"}}, http.StatusUnsupportedMediaType, ""},
		{"form content type", example(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, http.StatusUnsupportedMediaType, ""},
		{"Latin-1 JSON", example(), http.Header{"Content-Type": {"application/json; charset=iso-8859-1"}}, http.StatusUnsupportedMediaType, ""},
		{"bad Idempotency-Key", example(), http.Header{"Idempotency-Key": {strings.Repeat("k", 300)}}, 0, ""},
	}
	if !bodyOptional {
		cases = append(cases,
			sweepCase{"empty body", "", nil, http.StatusBadRequest, ""},
			sweepCase{"white space", " \n", nil, http.StatusBadRequest, ""},
		)
	}
	for _, l := range leaves(example(), "", "", true) {
		cases = append(cases, sweepCase{"wrong type " + l.name, with(l.set, wrongType(l.value)), nil, http.StatusUnprocessableEntity, l.name})
		if s, ok := l.value.(string); ok {
			cases = append(cases,
				sweepCase{"NUL in " + l.name, with(l.set, s+"\x00"), nil, http.StatusUnprocessableEntity, l.name},
				sweepCase{"huge " + l.name, with(l.set, strings.Repeat("x", 100_000)), nil, http.StatusUnprocessableEntity, l.name})
		}
	}
	return cases
}

// TestNoInputGivesA500 posts bad requests to every POST endpoint of
// casework: each is answered 4xx with a problem document, naming the field
// where one is at fault, and changes nothing on either side.
func TestNoInputGivesA500(t *testing.T) {
	t.Parallel()
	p := newPair(t)
	snapshot := func() string {
		return fmt.Sprintf("CI %s referrals=%d assignee=%v | BF %s referrals=%d assignee=%v",
			p.snapshot(p.ci), p.ci.count("referrals"), p.ci.get(p.ciUser, p.id)["assignee"],
			p.snapshot(p.bf), p.bf.count("referrals"), p.bf.get(p.bfUser, p.id)["assignee"])
	}
	before := snapshot()

	type endpoint struct {
		m        *member
		user     string
		path     string
		example  func() map[string]any
		optional bool
	}
	endpoints := []endpoint{
		{p.ci, p.ciUser, "/api/v1/referrals", func() map[string]any { return exampleDoc(t) }, false},
		{p.ci, "ci-supervisor", "/api/v1/referrals/" + p.id + "/assign", func() map[string]any { return map[string]any{"assignee": "ci-caseworker"} }, false},
		{p.bf, "bf-supervisor", "/api/v1/referrals/" + p.id + "/approve_closure", func() map[string]any { return map[string]any{} }, true},
		{p.bf, "bf-supervisor", "/api/v1/referrals/" + p.id + "/reject_closure", func() map[string]any { return map[string]any{} }, true},
	}
	senderEvents := map[string]bool{"withdraw": true, "respond_info": true, "mark_entered_in_error": true}
	served := 0
	for _, r := range api.Routes() {
		ev, ok := strings.CutPrefix(r.Path, "/api/v1/referrals/{id}/")
		if r.Method != http.MethodPost || !ok || !cases.Event(ev).Valid() {
			continue
		}
		served++
		m, user := p.bf, p.bfUser
		if senderEvents[ev] {
			m, user = p.ci, p.ciUser
		}
		optional := ev == "accept" || ev == "withdraw" || ev == "resume"
		endpoints = append(endpoints, endpoint{m, user, "/api/v1/referrals/" + p.id + "/" + ev,
			func() map[string]any { return eventExample(t, ev) }, optional})
	}
	if served < 15 {
		t.Fatalf("only %d events served", served)
	}

	for _, e := range endpoints {
		for _, tc := range badBodies(t, e.example, e.optional) {
			r := e.m.doWith(http.MethodPost, e.path, e.m.token(e.user), tc.body, tc.header)
			what := e.path + ": " + tc.name
			if r.status < 400 || r.status >= 500 || (tc.status != 0 && r.status != tc.status) {
				t.Errorf("%s: status %d, want %s: %.300s", what, r.status, wantStatus(tc.status), r.body)
				continue
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: Content-Type %q", what, ct)
				continue
			}
			if tc.field == "" {
				continue
			}
			var named []string
			for _, f := range r.problem(t).Errors {
				named = append(named, f.Field)
			}
			if !namesField(named, tc.field) {
				t.Errorf("%s: errors name %v, want %s", what, named, tc.field)
			}
		}
	}

	// Paths no referral or message has: unknown ids of every shape.
	for _, id := range []string{"ref-doesnotexist", strings.Repeat("r", 5000), "%00", "ref-%E2%80%AE", "..%2f..%2fetc"} {
		for _, path := range []string{"/api/v1/referrals/" + id + "/decline", "/api/v1/referrals/" + id + "/assign"} {
			body := map[string]any{"reason": "x"}
			user := p.bfUser
			if strings.HasSuffix(path, "/assign") {
				body, user = map[string]any{"assignee": "bf-caseworker"}, "bf-supervisor"
			}
			if r := p.bf.do(http.MethodPost, path, p.bf.token(user), body); r.status < 400 || r.status >= 500 {
				t.Errorf("POST %.80s: status %d: %.300s", path, r.status, r.body)
			}
		}
		if r := p.bf.do(http.MethodGet, "/api/v1/referrals/"+id, p.bf.token(p.bfUser), nil); r.status != http.StatusNotFound {
			t.Errorf("GET referral %.80s: status %d: %.300s", id, r.status, r.body)
		}
		for _, body := range []any{nil, "{", map[string]any{"zz": 1}} {
			path := "/api/v1/inbox/failed/" + id + "/retry"
			if r := p.bf.do(http.MethodPost, path, p.bf.token("bf-admin"), body); r.status < 400 || r.status >= 500 {
				t.Errorf("POST %.80s %v: status %d: %.300s", path, body, r.status, r.body)
			}
		}
	}
	// The list's query parameters reach SQL too.
	for _, q := range []string{"q=ab%00cd", "case_ref=%00", "case_ref=%FF%FE", "q=%FF%FEabc", "before=%00", "status=%00", "urgency=%00", "assigned=%00",
		"limit=%00", "limit=99999999999999999999", "q=" + strings.Repeat("x", 5000), "case_ref=" + strings.Repeat("c", 5000)} {
		r := p.bf.do(http.MethodGet, "/api/v1/referrals?direction=incoming&"+q, p.bf.token(p.bfUser), nil)
		if r.status >= 500 {
			t.Errorf("GET list ?%.80s: status %d: %.300s", q, r.status, r.body)
		}
	}
	if got := snapshot(); got != before {
		t.Errorf("bad requests changed something:\n%s\nwas\n%s", got, before)
	}
}

func wantStatus(s int) string {
	if s == 0 {
		return "4xx"
	}
	return strconv.Itoa(s)
}

// namesField reports whether named holds field, or a path within it or
// around it (a wrong container is named where it is).
func namesField(named []string, field string) bool {
	for _, n := range named {
		if n == field || strings.HasPrefix(n, field+".") || strings.HasPrefix(n, field+"[") {
			return true
		}
	}
	return false
}
