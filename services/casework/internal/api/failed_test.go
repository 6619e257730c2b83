package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/exchange"
)

// failedItem and failedList are GET /api/v1/inbox/failed's answer.
type failedItem struct {
	MessageID     string     `json:"message_id"`
	ApplyAttempts int        `json:"apply_attempts"`
	ApplyError    string     `json:"apply_error"`
	NextApplyAt   *time.Time `json:"next_apply_at"`
	GaveUp        bool       `json:"gave_up"`
}

type failedList struct {
	Items      []failedItem `json:"items"`
	NextBefore string       `json:"next_before"`
}

// failed lists the failed inbox messages as the country administrator with the given
// query, checking every item against docs/api/openapi.yaml.
func (m *member) failed(query string) failedList {
	m.t.Helper()
	r := m.do(http.MethodGet, "/api/v1/inbox/failed?"+query, m.token(m.code.Domain()+"-admin"), nil)
	var list failedList
	if err := json.Unmarshal(r.body, &list); r.status != http.StatusOK || err != nil || list.Items == nil {
		m.t.Fatalf("list failed (%s): %d %v %s", query, r.status, err, r.body)
	}
	doc := schemas{all: loadOpenAPI(m.t).Components.Schemas}
	for _, it := range r.json(m.t)["items"].([]any) {
		for _, problem := range doc.conform("failed item", doc.ref("FailedMessage"), it) {
			m.t.Errorf("docs/api/openapi.yaml: %s", problem)
		}
	}
	return list
}

func messageIDs(items []failedItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.MessageID)
	}
	return out
}

// fail records n failed attempts to apply an inbox message, as the applier
// does.
func (m *member) fail(messageID string, n int) {
	m.t.Helper()
	for range n {
		if err := exchange.MarkApplyFailed(context.Background(), m.pool, messageID, "no referral here (test)"); err != nil {
			m.t.Fatal(err)
		}
	}
}

// undecodable is an inbox message for CI that fails to apply, received at
// the given time.
func undecodable(id string, receivedAt time.Time) exchange.InboxMessage {
	return exchange.InboxMessage{MessageID: id, MessageType: exchange.TypeDecision, CaseRef: "case-x",
		ReferralID: "ref-x", SenderMember: "BF", SenderAgency: "BF-DPE", RecipientAgency: "CI-DGT",
		ReceivedAt: receivedAt, Payload: []byte{0xff}}
}

// TestFailedInboxPages lists failed messages newest first, a page at a
// time, so that messages given up on long ago cannot hide a new failure.
func TestFailedInboxPages(t *testing.T) {
	t.Parallel()
	// No applier: the test records the failures itself.
	ci := newMember(t, "CI", false)
	t0 := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	for _, r := range []struct {
		id       string
		at       time.Duration
		failures int
	}{
		{"bf-old-a", 0, exchange.MaxApplyAttempts}, // given up long ago
		{"bf-old-b", 0, exchange.MaxApplyAttempts}, // received at the same time: the id orders them
		{"bf-old-c", time.Minute, exchange.MaxApplyAttempts},
		{"bf-mid", 2 * time.Minute, 3},
		{"bf-tie-1", 3 * time.Minute, 1},
		{"bf-tie-2", 3 * time.Minute, 1},
		{"bf-new", 4 * time.Minute, 1},
		{"bf-pending", 5 * time.Minute, 0}, // never failed: not listed
	} {
		ci.insertInbox(undecodable(r.id, t0.Add(r.at)))
		ci.fail(r.id, r.failures)
	}
	ci.insertInbox(undecodable("bf-applied", t0.Add(5*time.Minute)))
	ci.fail("bf-applied", 2)
	if err := exchange.MarkApplied(context.Background(), ci.pool, "bf-applied"); err != nil {
		t.Fatal(err)
	}
	newestFirst := []string{"bf-new", "bf-tie-2", "bf-tie-1", "bf-mid", "bf-old-c", "bf-old-b", "bf-old-a"}

	t.Run("newest first", func(t *testing.T) {
		for _, query := range []string{"", "limit=7", "limit=500"} {
			list := ci.failed(query)
			if got := messageIDs(list.Items); !slices.Equal(got, newestFirst) || list.NextBefore != "" {
				t.Errorf("%q: %v, next_before %q; want %v and no next page", query, got, list.NextBefore, newestFirst)
			}
		}
		list := ci.failed("limit=1")
		if got := messageIDs(list.Items); !slices.Equal(got, []string{"bf-new"}) || list.NextBefore == "" {
			t.Errorf("limit=1: %v, next_before %q; want the newest failure and a next page", got, list.NextBefore)
		}
		for _, it := range ci.failed("").Items {
			givenUp := strings.HasPrefix(it.MessageID, "bf-old-")
			if it.GaveUp != givenUp || (it.NextApplyAt == nil) != givenUp {
				t.Errorf("%s: gave_up %v, next_apply_at %v", it.MessageID, it.GaveUp, it.NextApplyAt)
			}
		}
	})

	t.Run("pages", func(t *testing.T) {
		var got []string
		query := "limit=2"
		for pages := 1; ; pages++ {
			list := ci.failed(query)
			if len(list.Items) > 2 {
				t.Fatalf("page %d has %d items", pages, len(list.Items))
			}
			got = append(got, messageIDs(list.Items)...)
			if pages == 1 {
				// A message failing while the supervisor pages does not
				// shift the pages that follow.
				ci.insertInbox(undecodable("bf-newer", time.Now()))
				ci.fail("bf-newer", 1)
			}
			if list.NextBefore == "" {
				if pages != 4 {
					t.Errorf("%d pages, want 4", pages)
				}
				break
			}
			if pages > len(newestFirst) {
				t.Fatalf("more pages than messages: %v", got)
			}
			query = "limit=2&before=" + url.QueryEscape(list.NextBefore)
		}
		if !slices.Equal(got, newestFirst) {
			t.Errorf("paged %v, want %v", got, newestFirst)
		}
		if first := ci.failed("limit=1").Items[0].MessageID; first != "bf-newer" {
			t.Errorf("first item %s, want the newest failure, bf-newer", first)
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		tests := []struct{ query, field string }{
			{"limit=0", "limit"},
			{"limit=501", "limit"},
			{"limit=-1", "limit"},
			{"limit=ten", "limit"},
			{"limit=1.5", "limit"},
			{"before=%21%21", "before"},                            // not base64
			{"before=" + cursor("1700000000000000"), "before"},     // no id
			{"before=" + cursor("x:bf-new"), "before"},             // no time
			{"before=" + cursor("1700000000000000:a b"), "before"}, // not an id
			{"before=" + cursor("9000000000000000000:bf-new"), "before"},
		}
		for _, tc := range tests {
			r := ci.do(http.MethodGet, "/api/v1/inbox/failed?"+tc.query, ci.token("ci-admin"), nil)
			if r.status != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d: %s", tc.query, r.status, r.body)
				continue
			}
			p := r.problem(t)
			if len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Errorf("%s: errors %+v, want one naming %s", tc.query, p.Errors, tc.field)
			}
		}
	})
}

// TestRetryFailedInboxMessage gives up on a withdrawal that arrived before
// its referral, then offers it again once the referral is there: it
// applies, and leaves the failed list.
func TestRetryFailedInboxMessage(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	bf := newMember(t, "BF", true)
	id := ci.create("ci-inspector")["id"].(string)
	if r := ci.do(http.MethodPost, "/api/v1/referrals/"+id+"/withdraw", ci.token("ci-inspector"), nil); r.status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	msgs := ci.outbox(id)
	referralMsg, withdrawal := msgs[0], msgs[1]

	// The withdrawal overtakes the referral and fails until casework gives
	// up on it.
	ci.relay(withdrawal, bf)
	waitFor(t, "the withdrawal to fail", func() bool {
		got, err := exchange.GetInbox(context.Background(), bf.pool, withdrawal.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		return got.ApplyError != ""
	})
	if _, err := bf.pool.Exec(context.Background(), `
		UPDATE exchange_inbox SET apply_attempts = $2, next_apply_at = now() WHERE message_id = $1`,
		withdrawal.MessageID, exchange.MaxApplyAttempts-1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "casework to give up on the withdrawal", func() bool {
		items := bf.failed("").Items
		return len(items) == 1 && items[0].GaveUp
	})
	// The cause goes away: the referral arrives. The withdrawal, given up
	// on, stays where it is.
	ci.relay(referralMsg, bf)
	bf.waitStatus("bf-caseworker", id, "delivered")
	if items := bf.failed("").Items; len(items) != 1 || !items[0].GaveUp {
		t.Fatalf("failed list %+v, want the withdrawal, given up", items)
	}

	retry := func(user, messageID string) response {
		return bf.do(http.MethodPost, "/api/v1/inbox/failed/"+messageID+"/retry", bf.token(user), nil)
	}
	for _, user := range []string{"bf-caseworker", "bf-supervisor", "bf-auditor"} {
		if r := retry(user, withdrawal.MessageID); r.status != http.StatusForbidden {
			t.Errorf("%s retries: %d %s", user, r.status, r.body)
		}
	}
	r := retry("bf-admin", withdrawal.MessageID)
	if r.status != http.StatusAccepted {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	var got failedItem
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.MessageID != withdrawal.MessageID || got.GaveUp || got.NextApplyAt == nil || got.ApplyAttempts != 0 || got.ApplyError == "" {
		t.Errorf("retried message %+v, want no longer given up, due, no attempts and its last error", got)
	}
	doc := schemas{all: loadOpenAPI(t).Components.Schemas}
	for _, problem := range doc.conform("retried", doc.ref("FailedMessage"), r.json(t)) {
		t.Errorf("docs/api/openapi.yaml: %s", problem)
	}
	if _, leaked := r.json(t)["payload"]; leaked {
		t.Error("the retry answer shows the payload")
	}

	bf.waitStatus("bf-caseworker", id, "withdrawn")
	waitFor(t, "the withdrawal to leave the failed list", func() bool { return len(bf.failed("").Items) == 0 })

	// Applied, unknown or not an id: nothing to retry.
	for _, messageID := range []string{withdrawal.MessageID, "ci-unknown", "not%20an%20id", referralMsg.MessageID} {
		r := retry("bf-admin", messageID)
		if r.status != http.StatusNotFound {
			t.Errorf("retry %s: %d %s", messageID, r.status, r.body)
			continue
		}
		r.problem(t)
	}
}

// TestRetryWakesTheApplier checks that offering a message again notifies
// the applier at once rather than leaving it to the next poll.
func TestRetryWakesTheApplier(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	ci.insertInbox(undecodable("bf-broken", time.Time{}))
	ci.insertInbox(undecodable("bf-waiting", time.Time{})) // never failed: not retried
	ci.fail("bf-broken", 1)

	ctx, cancel := context.WithCancel(context.Background())
	l := exchange.Listen(ctx, ci.pool, exchange.ChannelInbox, nil)
	t.Cleanup(func() { cancel(); <-l.Done() })
	wake := func(what string) bool {
		t.Helper()
		select {
		case <-l.C:
			return true
		case <-time.After(20 * time.Second):
			t.Errorf("no wake-up: %s", what)
			return false
		}
	}
	if !wake("the listener did not connect") {
		return
	}
	if r := ci.do(http.MethodPost, "/api/v1/inbox/failed/bf-waiting/retry", ci.token("ci-admin"), nil); r.status != http.StatusNotFound {
		t.Errorf("retry a message that never failed: %d %s", r.status, r.body)
	}
	if r := ci.do(http.MethodPost, "/api/v1/inbox/failed/bf-broken/retry", ci.token("ci-admin"), nil); r.status != http.StatusAccepted {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	wake("the retry did not notify " + exchange.ChannelInbox)
}
