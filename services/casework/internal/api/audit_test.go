package api_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/corridor-org/corridor/pkg/audit"
)

// TestAuditTrail: every read and write of case data by a person, and
// every refused attempt, is in the member's audit trail, with who, what,
// which referral and the outcome; the messages the writes send are
// recorded under the same person; the trail verifies.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	id := ci.create("ci-inspector")["id"].(string)
	reads := []struct {
		token  string
		status int
	}{
		{ci.token("ci-inspector"), http.StatusOK},
		{ci.token("ci-coordinator"), http.StatusForbidden},
		{"", http.StatusUnauthorized},
		{"not.a.jwt", http.StatusUnauthorized},
	}
	for _, rd := range reads {
		if r := ci.do(http.MethodGet, "/api/v1/referrals/"+id, rd.token, nil); r.status != rd.status {
			t.Fatalf("read: %d, want %d: %s", r.status, rd.status, r.body)
		}
	}
	if r := ci.do(http.MethodGet, "/api/v1/referrals?direction=outgoing", ci.token("ci-inspector"), nil); r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.body)
	}

	inspector := "@" + ci.issuer
	var got []string
	err := audit.Entries(context.Background(), ci.pool, audit.Range{}, func(e audit.Entry) error {
		actor := e.Actor
		if actor != "" {
			actor = "person"
			if len(e.Actor) <= len(inspector) || e.Actor[len(e.Actor)-len(inspector):] != inspector || len(e.Roles) == 0 {
				t.Errorf("entry %d: actor %q roles %v, want a subject at %s with roles", e.Seq, e.Actor, e.Roles, ci.issuer)
			}
		}
		got = append(got, e.Action+" | "+actor+" | "+string(e.Outcome)+" | "+e.Object.Type+" "+e.Object.ID+" | "+e.Detail["status"])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := "referral " + id
	want := []string{
		"message.queued | person | allowed | message " + messageOf(t, ci, id) + " | ",
		"POST /api/v1/referrals | person | allowed | " + ref + " | 201",
		"GET /api/v1/referrals/{id} | person | allowed | " + ref + " | 200",
		"GET /api/v1/referrals/{id} | person | denied | " + ref + " | 403",
		"GET /api/v1/referrals/{id} |  | denied | " + ref + " | 401",
		"GET /api/v1/referrals/{id} |  | denied | " + ref + " | 401",
		"GET /api/v1/referrals | person | allowed |   | 200",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit trail:\n%q\nwant\n%q", got, want)
	}
	if rep, err := audit.Verify(context.Background(), ci.pool, nil); err != nil || rep.Problem != nil {
		t.Errorf("verify = %+v, %v", rep, err)
	}
}

// messageOf returns the id of the referral message a referral sent.
func messageOf(t *testing.T, m *member, referralID string) string {
	t.Helper()
	var id string
	err := m.pool.QueryRow(context.Background(), `
		SELECT message_id FROM exchange_outbox WHERE referral_id = $1 AND message_type = 'referral'`, referralID).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestDenialsAudited: each attack the API refuses is in the audit trail as
// a denial of that request, naming the caller when it is authenticated.
func TestDenialsAudited(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	bf := newMember(t, "BF", false)
	id := ci.create("ci-inspector")["id"].(string)
	attacks := []struct {
		name   string
		token  func() string
		status int
	}{
		{"no token", func() string { return "" }, http.StatusUnauthorized},
		{"garbage token", func() string { return "not.a.jwt" }, http.StatusUnauthorized},
		{"token for another audience", func() string { return ci.tokenFor(otherClient, "ci-inspector") }, http.StatusUnauthorized},
		{"token from another country's provider", func() string { return bf.token("bf-caseworker") }, http.StatusUnauthorized},
		{"token claiming another country", func() string { return ci.token("foreigner") }, http.StatusUnauthorized},
		{"coordinator reaching casework", func() string { return ci.token("ci-coordinator") }, http.StatusForbidden},
		{"user without agency", func() string { return ci.token("nobody") }, http.StatusForbidden},
	}
	for _, a := range attacks {
		for _, rq := range []struct{ method, path, action string }{
			{http.MethodGet, "/api/v1/referrals/" + id, "GET /api/v1/referrals/{id}"},
			{http.MethodPost, "/api/v1/referrals/" + id + "/withdraw", "POST /api/v1/referrals/{id}/withdraw"},
		} {
			r := ci.do(rq.method, rq.path, a.token(), nil)
			if r.status != a.status {
				t.Fatalf("%s: %s %s = %d, want %d: %s", a.name, rq.method, rq.path, r.status, a.status, r.body)
			}
			e := newestEntry(t, ci)
			if e.Action != rq.action || e.Outcome != audit.Denied || e.Object.ID != id ||
				e.Detail["status"] != strconv.Itoa(a.status) || (e.Actor == "") != (a.status == http.StatusUnauthorized) {
				t.Errorf("%s: %s %s: newest audit entry %+v", a.name, rq.method, rq.path, e)
			}
		}
	}
}

func newestEntry(t *testing.T, m *member) audit.Entry {
	t.Helper()
	seq, _, err := audit.Head(context.Background(), m.pool)
	if err != nil {
		t.Fatal(err)
	}
	var e audit.Entry
	if err := audit.Entries(context.Background(), m.pool, audit.Range{FromSeq: seq}, func(x audit.Entry) error { e = x; return nil }); err != nil {
		t.Fatal(err)
	}
	return e
}
