package api_test

import (
	"net/http"
	"testing"
)

// TestPolicyAtTheAPI asks every route of one referral as each kind of user
// and compares with what pkg/policy's table says: the filer (an inspector),
// a colleague inspector, their agency's supervisor, a caseworker and a
// supervisor of another agency, the country administrator, the auditor and
// a coordinator. Acting is tried with an event the referral's status does
// not allow yet, so that an allowed caller gets 409 and nothing changes.
func TestPolicyAtTheAPI(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	id := ci.create("ci-inspector")["id"].(string)
	respond := eventExample(t, "respond_info")
	assign := map[string]any{"assignee": "someone-else"}

	type want struct{ list, get, act, assign, failed, agencies int }
	tests := []struct {
		user string
		want want
	}{
		{"ci-inspector", want{200, 200, 409, 403, 403, 200}},
		{"ci-colleague", want{200, 200, 403, 403, 403, 200}},
		{"ci-dgt-supervisor", want{200, 200, 409, 200, 403, 200}},
		{"ci-caseworker", want{200, 403, 403, 403, 403, 200}},
		{"ci-supervisor", want{200, 403, 403, 403, 403, 200}},
		{"ci-admin", want{403, 403, 403, 403, 200, 403}},
		{"ci-auditor", want{403, 403, 403, 403, 403, 403}},
		{"ci-coordinator", want{403, 403, 403, 403, 403, 403}},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			tok := ci.token(tc.user)
			for _, call := range []struct {
				name         string
				method, path string
				body         any
				want         int
			}{
				{"list", http.MethodGet, "/api/v1/referrals?direction=outgoing", nil, tc.want.list},
				{"get", http.MethodGet, "/api/v1/referrals/" + id, nil, tc.want.get},
				{"act", http.MethodPost, "/api/v1/referrals/" + id + "/respond_info", respond, tc.want.act},
				{"assign", http.MethodPost, "/api/v1/referrals/" + id + "/assign", assign, tc.want.assign},
				{"failed", http.MethodGet, "/api/v1/inbox/failed", nil, tc.want.failed},
				{"agencies", http.MethodGet, "/api/v1/agencies", nil, tc.want.agencies},
			} {
				r := ci.do(call.method, call.path, tok, call.body)
				if r.status != call.want {
					t.Errorf("%s: status %d, want %d: %s", call.name, r.status, call.want, r.body)
				}
				if r.status >= 400 {
					r.problem(t)
				}
			}
		})
	}
	if got := ci.statusOf("ci-inspector", id); got != "sent" {
		t.Errorf("status = %q, want sent", got)
	}
	if got := ci.get("ci-inspector", id)["assignee"]; got != "someone-else" {
		t.Errorf("assignee = %v, want the supervisor's", got)
	}
	if n := ci.count("referrals"); n != 1 {
		t.Errorf("%d referrals, want 1", n)
	}
}
