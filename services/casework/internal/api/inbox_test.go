package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/exchange"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

// insertInbox writes an inbox row as a relay would.
func (m *member) insertInbox(msg exchange.InboxMessage) {
	m.t.Helper()
	if msg.Corridor == "" {
		msg.Corridor = "ci-bf"
	}
	if msg.SentAt.IsZero() {
		msg.SentAt = time.Now()
	}
	if ok, err := exchange.InsertInbox(context.Background(), m.pool, msg); err != nil || !ok {
		m.t.Fatalf("insert inbox: %v %v", ok, err)
	}
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBadInboxMessagesAreQuarantined inserts messages that cannot be
// applied: each is marked failed with a reason a supervisor can read, none
// is dropped, and none holds up a good message behind it.
func TestBadInboxMessagesAreQuarantined(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", true)
	id := ci.create("ci-inspector")["id"].(string)
	caseRef := ci.get("ci-inspector", id)["case_ref"].(string)

	accept := func(referralID, base string) []byte {
		return marshal(t, &corridorv1.Decision{ReferralId: referralID, BaseStatus: base,
			Outcome: corridorv1.DecisionOutcome_DECISION_OUTCOME_ACCEPT})
	}
	decision := func(msgID, referralID, caseRef, agency string, payload []byte) exchange.InboxMessage {
		return exchange.InboxMessage{MessageID: msgID, MessageType: exchange.TypeDecision, CaseRef: caseRef,
			ReferralID: referralID, SenderMember: "BF", SenderAgency: agency, RecipientAgency: "CI-DGT", Payload: payload}
	}
	bad := []struct {
		msg    exchange.InboxMessage
		reason string // a part of the stored reason
	}{
		{decision("bf-unknown", "ref-unknown", "case-unknown", "BF-DPE", accept("ref-unknown", "delivered")), "no referral ref-unknown here"},
		{decision("bf-garbage", id, caseRef, "BF-DPE", []byte{0xff, 0xff, 0xff}), "not a valid decision"},
		{decision("bf-no-outcome", id, caseRef, "BF-DPE", marshal(t, &corridorv1.Decision{ReferralId: id, BaseStatus: "delivered"})), "no outcome"},
		{decision("bf-other-agency", id, caseRef, "BF-DGT", accept(id, "delivered")), "another agency"},
		{decision("bf-other-id", id, caseRef, "BF-DPE", accept("ref-other", "delivered")), "referral id differs"},
		{decision("bf-bad-base", id, caseRef, "BF-DPE", accept(id, "accepted")), "cannot accept"},
		{exchange.InboxMessage{MessageID: "bf-withdraw-own", MessageType: exchange.TypeWithdrawal, CaseRef: caseRef,
			ReferralID: id, SenderMember: "BF", SenderAgency: "BF-DPE", RecipientAgency: "CI-DGT",
			Payload: marshal(t, &corridorv1.Withdrawal{ReferralId: id, BaseStatus: "sent"})}, "holds as sender"},
		{exchange.InboxMessage{MessageID: "bf-info", MessageType: exchange.TypeInfoRequest, CaseRef: caseRef,
			ReferralID: id, SenderMember: "BF", SenderAgency: "BF-DPE", RecipientAgency: "CI-DGT",
			Payload: marshal(t, &corridorv1.InformationRequest{ReferralId: id, BaseStatus: "delivered"})}, "invalid fields: items, request_id"},
		{exchange.InboxMessage{MessageID: "bf-status-close", MessageType: exchange.TypeStatusChange, CaseRef: caseRef,
			ReferralID: id, SenderMember: "BF", SenderAgency: "BF-DPE", RecipientAgency: "CI-DGT",
			Payload: marshal(t, &corridorv1.StatusChange{ReferralId: id, BaseStatus: "delivered", Event: "close"})}, "not a valid status_change"},
		{exchange.InboxMessage{MessageID: "bf-confirm-no-side", MessageType: exchange.TypeHandoverConfirmation, CaseRef: caseRef,
			ReferralID: id, SenderMember: "BF", SenderAgency: "BF-DPE", RecipientAgency: "CI-DGT",
			Payload: marshal(t, &corridorv1.HandoverConfirmation{ReferralId: id, BaseStatus: "handover_planned", PlanRevision: 1})}, "handover side is not given"},
		{exchange.InboxMessage{MessageID: "bf-cancel-in-decision", MessageType: exchange.TypeDecision, CaseRef: caseRef,
			ReferralID: id, SenderMember: "BF", SenderAgency: "BF-DPE", RecipientAgency: "CI-DGT",
			Payload: marshal(t, &corridorv1.StatusChange{ReferralId: id, BaseStatus: "accepted", Event: "cancel", ReasonCode: "other", Note: "x"})}, "not a valid decision"},
		{exchange.InboxMessage{MessageID: "bf-resend", MessageType: exchange.TypeReferral, CaseRef: caseRef,
			ReferralID: id, SenderMember: "BF", SenderAgency: "BF-DPE", RecipientAgency: "CI-DGT",
			Payload: []byte("not a referral")}, "not a valid referral"},
	}
	for _, b := range bad {
		ci.insertInbox(b.msg)
	}
	// A good message after the bad ones is still applied.
	ci.receipt(ci.outbox(id)[0].MessageID)
	bfAccept := decision("bf-good", id, caseRef, "BF-DPE", accept(id, "delivered"))
	bfAccept.SentAt = time.Now().Add(time.Minute)
	ci.insertInbox(bfAccept)
	ci.waitStatus("ci-inspector", id, "accepted")

	var items []any
	waitFor(t, "every bad message in the quarantine", func() bool {
		r := ci.do(http.MethodGet, "/api/v1/inbox/failed", ci.token("ci-admin"), nil)
		items = r.json(t)["items"].([]any)
		return len(items) == len(bad)
	})
	byID := map[string]map[string]any{}
	for _, it := range items {
		item := it.(map[string]any)
		byID[item["message_id"].(string)] = item
		if _, leaked := item["payload"]; leaked {
			t.Errorf("failed item %v shows its payload", item["message_id"])
		}
	}
	for _, b := range bad {
		item, ok := byID[b.msg.MessageID]
		if !ok {
			t.Errorf("%s not listed as failed", b.msg.MessageID)
			continue
		}
		if reason := item["apply_error"].(string); !strings.Contains(reason, b.reason) {
			t.Errorf("%s: reason %q, want it to mention %q", b.msg.MessageID, reason, b.reason)
		}
		if item["apply_attempts"].(float64) < 1 {
			t.Errorf("%s: apply_attempts %v", b.msg.MessageID, item["apply_attempts"])
		}
	}
	doc := schemas{all: loadOpenAPI(t).Components.Schemas}
	for _, it := range items {
		for _, problem := range doc.conform("failed item", doc.ref("FailedMessage"), it) {
			t.Errorf("docs/api/openapi.yaml: %s", problem)
		}
		if item := it.(map[string]any); item["gave_up"] != false || item["next_apply_at"] == nil {
			t.Errorf("%s: gave_up %v, next_apply_at %v; want false and a time", item["message_id"], item["gave_up"], item["next_apply_at"])
		}
	}

	// After MaxApplyAttempts failures casework gives up: the message stays
	// listed, marked so, without a next attempt.
	last := bad[0].msg.MessageID
	if _, err := ci.pool.Exec(context.Background(), `
		UPDATE exchange_inbox SET apply_attempts = $2, next_apply_at = now() WHERE message_id = $1`,
		last, exchange.MaxApplyAttempts-1); err != nil {
		t.Fatal(err)
	}
	var gaveUp map[string]any
	waitFor(t, "casework to give up on "+last, func() bool {
		r := ci.do(http.MethodGet, "/api/v1/inbox/failed", ci.token("ci-admin"), nil)
		for _, it := range r.json(t)["items"].([]any) {
			if item := it.(map[string]any); item["message_id"] == last && item["gave_up"] == true {
				gaveUp = item
				return true
			}
		}
		return false
	})
	if gaveUp["next_apply_at"] != nil || gaveUp["apply_attempts"] != float64(exchange.MaxApplyAttempts) {
		t.Errorf("given up: next_apply_at %v, apply_attempts %v; want null and %d",
			gaveUp["next_apply_at"], gaveUp["apply_attempts"], exchange.MaxApplyAttempts)
	}
	for _, problem := range doc.conform("given-up item", doc.ref("FailedMessage"), gaveUp) {
		t.Errorf("docs/api/openapi.yaml: %s", problem)
	}

	// Nothing was dropped: every bad row is still in the inbox, unapplied.
	var unapplied int
	if err := ci.pool.QueryRow(context.Background(), `SELECT count(*) FROM exchange_inbox WHERE applied_at IS NULL`).Scan(&unapplied); err != nil {
		t.Fatal(err)
	}
	if unapplied != len(bad) {
		t.Errorf("%d unapplied inbox rows, want %d", unapplied, len(bad))
	}
	metrics := string(ci.do(http.MethodGet, "/metrics", "", nil).body)
	for _, want := range []string{`casework_inbox_failed_total{type="decision"}`, `casework_inbox_applied_total{type="decision"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestRecipientRefusesMisaddressedReferrals gives BF referrals it must not
// store.
func TestRecipientRefusesMisaddressedReferrals(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	bf := newMember(t, "BF", true)
	id := ci.create("ci-inspector")["id"].(string)
	good := ci.outbox(id)[0]

	var p corridorv1.Referral
	if err := proto.Unmarshal(good.Payload, &p); err != nil {
		t.Fatal(err)
	}
	variant := func(change func(*corridorv1.Referral)) []byte {
		q := proto.Clone(&p).(*corridorv1.Referral)
		change(q)
		return marshal(t, q)
	}
	tests := []struct {
		name    string
		msg     func(m *exchange.InboxMessage)
		reason  string
		payload []byte
	}{
		{name: "not for this member", payload: variant(func(q *corridorv1.Referral) { q.Routing.RecipientMember = "ML" }), reason: "recipient"},
		{name: "unknown agency", msg: func(m *exchange.InboxMessage) { m.RecipientAgency = "BF-XYZ" },
			payload: variant(func(q *corridorv1.Referral) { q.Routing.RecipientAgency = "BF-XYZ" }), reason: "not an agency"},
		{name: "sender mismatch", payload: variant(func(q *corridorv1.Referral) { q.Routing.SenderAgency = "CI-DPE" }), reason: "sender differs"},
		{name: "case mismatch", payload: variant(func(q *corridorv1.Referral) { q.Routing.CaseRef = "case-other" }), reason: "case reference differs"},
		{name: "no routing", payload: variant(func(q *corridorv1.Referral) { q.Routing = nil }), reason: "no referral id"},
		{name: "not a first sending", payload: variant(func(q *corridorv1.Referral) { q.BaseStatus = "delivered" }), reason: "cannot send"},
		{name: "unknown base", payload: variant(func(q *corridorv1.Referral) { q.BaseStatus = "limbo" }), reason: "unknown referral status"},
		{name: "NUL in a name", payload: variant(func(q *corridorv1.Referral) { q.Child.Name.GivenNames = "a\x00" }), reason: "NUL"},
		// A bug that some message triggers fails that message, not the
		// applier.
		{name: "a panic while applying", msg: func(m *exchange.InboxMessage) { m.RecipientAgency = panickingAgency },
			payload: variant(func(q *corridorv1.Referral) { q.Routing.RecipientAgency = panickingAgency }), reason: "internal error"},
	}
	for i, tc := range tests {
		m := exchange.InboxMessage{MessageID: "ci-bad-" + string(rune('a'+i)), MessageType: exchange.TypeReferral,
			CaseRef: good.CaseRef, ReferralID: id, SenderMember: "CI", SenderAgency: "CI-DGT",
			RecipientAgency: "BF-DPE", Payload: tc.payload}
		if tc.msg != nil {
			tc.msg(&m)
		}
		bf.insertInbox(m)
		waitFor(t, tc.name+" to fail", func() bool {
			got, err := exchange.GetInbox(context.Background(), bf.pool, m.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			return got.ApplyError != ""
		})
		got, _ := exchange.GetInbox(context.Background(), bf.pool, m.MessageID)
		if !strings.Contains(got.ApplyError, tc.reason) {
			t.Errorf("%s: reason %q, want it to mention %q", tc.name, got.ApplyError, tc.reason)
		}
		if strings.Contains(got.ApplyError, "Demo") || strings.Contains(got.ApplyError, "Issa") {
			t.Errorf("%s: reason %q carries personal data", tc.name, got.ApplyError)
		}
	}
	if n := bf.count("referrals"); n != 0 {
		t.Errorf("BF stored %d referrals from bad messages", n)
	}
	// The good one is stored, and a second sending of the same referral
	// under another message id is refused.
	ci.relay(good, bf)
	bf.waitStatus("bf-caseworker", id, "delivered")
	again := exchange.InboxMessage{MessageID: "ci-again", MessageType: exchange.TypeReferral, CaseRef: good.CaseRef,
		ReferralID: id, SenderMember: "CI", SenderAgency: "CI-DGT", RecipientAgency: "BF-DPE", Payload: good.Payload}
	bf.insertInbox(again)
	waitFor(t, "the second sending to fail", func() bool {
		got, _ := exchange.GetInbox(context.Background(), bf.pool, again.MessageID)
		return got.ApplyError != ""
	})
}

// TestApplyingTwiceChangesNothing offers an applied inbox row again, as a
// restored backup or a manual retry would: it is marked applied again and
// the referral's history does not grow.
func TestApplyingTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	bf := newMember(t, "BF", true)
	id := ci.create("ci-inspector")["id"].(string)
	msg := ci.outbox(id)[0]
	ci.relay(msg, bf)
	bf.waitStatus("bf-caseworker", id, "delivered")
	before := len(bf.get("bf-caseworker", id)["history"].([]any))

	if _, err := bf.pool.Exec(context.Background(),
		`UPDATE exchange_inbox SET applied_at = NULL WHERE message_id = $1`, msg.MessageID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the row to be applied again", func() bool {
		got, err := exchange.GetInbox(context.Background(), bf.pool, msg.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		return got.AppliedAt != nil
	})
	got, _ := exchange.GetInbox(context.Background(), bf.pool, msg.MessageID)
	if got.ApplyError != "" {
		t.Errorf("second application failed: %s", got.ApplyError)
	}
	if after := len(bf.get("bf-caseworker", id)["history"].([]any)); after != before {
		t.Errorf("history grew from %d to %d", before, after)
	}
	if n := bf.count("referrals"); n != 1 {
		t.Errorf("%d referrals, want 1", n)
	}
}
