package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestIdempotencyKey: a POST repeated with the same Idempotency-Key and
// body changes nothing and is answered as the first was; the same key with
// another body is refused; keys belong to their user.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	key := func(k string) http.Header { return http.Header{"Idempotency-Key": {k}} }
	tok := ci.token("ci-inspector")

	first := ci.doWith(http.MethodPost, "/api/v1/referrals", tok, exampleBytes(t), key("create-1"))
	again := ci.doWith(http.MethodPost, "/api/v1/referrals", tok, exampleBytes(t), key("create-1"))
	if first.status != http.StatusCreated || again.status != http.StatusCreated {
		t.Fatalf("create twice: %d, %d %s", first.status, again.status, again.body)
	}
	id := first.json(t)["id"].(string)
	if again.json(t)["id"] != id || again.header.Get("Location") != first.header.Get("Location") {
		t.Errorf("the retry answered %v, want %s", again.json(t)["id"], id)
	}
	if n := ci.count("referrals"); n != 1 {
		t.Errorf("%d referrals after a retried create", n)
	}
	// Another body under the same key is refused; nothing is filed.
	other := set(t, exampleDoc(t), "narrative", "Another child")
	r := ci.doWith(http.MethodPost, "/api/v1/referrals", tok, other, key("create-1"))
	if p := r.problem(t); r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "Idempotency-Key" {
		t.Errorf("key reused for another body: %d %s", r.status, r.body)
	}
	// The key is the user's: another user's same key files anew.
	r = ci.doWith(http.MethodPost, "/api/v1/referrals", ci.token("ci-dgt-supervisor"), exampleBytes(t), key("create-1"))
	if r.status != http.StatusCreated || r.json(t)["id"] == id {
		t.Errorf("another user's key: %d %s", r.status, r.body)
	}

	// Events: a retried withdrawal is answered, not refused as a conflict.
	path := "/api/v1/referrals/" + id + "/withdraw"
	for i := range 2 {
		if r := ci.doWith(http.MethodPost, path, tok, eventExample(t, "withdraw"), key("withdraw-1")); r.status != http.StatusOK {
			t.Fatalf("withdraw %d: %d %s", i, r.status, r.body)
		}
	}
	if n := len(ci.outbox(id)); n != 2 {
		t.Errorf("%d outbox messages after a retried withdrawal, want 2", n)
	}
	if r := ci.do(http.MethodPost, path, tok, eventExample(t, "withdraw")); r.status != http.StatusConflict {
		t.Errorf("a new withdrawal: %d %s", r.status, r.body)
	}

	for _, bad := range []string{"", "a b", strings.Repeat("k", 256), "é"} {
		r := ci.doWith(http.MethodPost, path, tok, eventExample(t, "withdraw"), key(bad))
		if p := r.problem(t); r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "Idempotency-Key" {
			t.Errorf("key %q: %d %s", bad, r.status, r.body)
		}
	}
}
