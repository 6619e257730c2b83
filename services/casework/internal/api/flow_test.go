package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/exchange"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

// history returns a referral's history as (side member event to_status)
// tuples.
func history(t *testing.T, body map[string]any) [][4]string {
	t.Helper()
	var out [][4]string
	for _, h := range body["history"].([]any) {
		e := h.(map[string]any)
		out = append(out, [4]string{e["side"].(string), e["member"].(string), e["event"].(string), e["to_status"].(string)})
	}
	return out
}

func sameHistory(t *testing.T, who string, got, want [][4]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s history:\n got %v\nwant %v", who, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s history:\n got %v\nwant %v", who, got, want)
			return
		}
	}
}

// TestReferralCrossesAndIsAccepted follows the walking skeleton through the
// exchange tables: CI files, BF receives and accepts, CI sees it accepted.
func TestReferralCrossesAndIsAccepted(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", true)
	bf := newMember(t, "BF", true)

	created := ci.create("ci-inspector")
	id := created["id"].(string)
	caseRef := created["case_ref"].(string)
	sent := ci.outbox(id)[0]

	ci.relay(sent, bf)
	bf.waitStatus("bf-caseworker", id, "delivered")
	got := bf.get("bf-caseworker", id)
	if got["case_ref"] != caseRef || got["direction"] != "incoming" {
		t.Errorf("BF sees case_ref %v direction %v", got["case_ref"], got["direction"])
	}
	child := got["child"].(map[string]any)
	if child["name"].(map[string]any)["given_names"] != "Demo Issa" || got["narrative"] == "" {
		t.Errorf("BF's copy lost the document: %v", got)
	}
	sameHistory(t, "BF", history(t, got), [][4]string{{"sender", "CI", "send", "sent"}, {"recipient", "BF", "deliver", "delivered"}})
	// Incoming for BF-DPE only.
	for user, want := range map[string]int{"bf-caseworker": 1, "bf-supervisor": 1, "bf-inspector": 0} {
		r := bf.do(http.MethodGet, "/api/v1/referrals?direction=incoming", bf.token(user), nil)
		if n := len(r.json(t)["items"].([]any)); n != want {
			t.Errorf("%s sees %d incoming, want %d", user, n, want)
		}
	}

	// BF's relay stored it and answered with a receipt.
	ci.receipt(sent.MessageID)
	ci.waitStatus("ci-inspector", id, "delivered")

	// The sender cannot accept, the recipient cannot withdraw.
	if r := ci.do(http.MethodPost, "/api/v1/referrals/"+id+"/accept", ci.token("ci-inspector"), nil); r.status != http.StatusForbidden {
		t.Errorf("sender accepts: %d %s", r.status, r.body)
	}
	if r := bf.do(http.MethodPost, "/api/v1/referrals/"+id+"/withdraw", bf.token("bf-caseworker"), nil); r.status != http.StatusForbidden {
		t.Errorf("recipient withdraws: %d %s", r.status, r.body)
	}

	r := bf.do(http.MethodPost, "/api/v1/referrals/"+id+"/accept", bf.token("bf-caseworker"), nil)
	if r.status != http.StatusOK || r.json(t)["status"] != "accepted" {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	// Twice is a conflict, and so is declining now.
	if r := bf.do(http.MethodPost, "/api/v1/referrals/"+id+"/accept", bf.token("bf-caseworker"), "{}"); r.status != http.StatusConflict {
		t.Errorf("accept again: %d %s", r.status, r.body)
	}
	if r := bf.do(http.MethodPost, "/api/v1/referrals/"+id+"/decline", bf.token("bf-caseworker"), map[string]string{"reason": "late"}); r.status != http.StatusConflict {
		t.Errorf("decline after accepting: %d %s", r.status, r.body)
	}

	msgs := bf.outbox(id)
	if len(msgs) != 1 || msgs[0].MessageType != exchange.TypeDecision || msgs[0].RecipientMember != "CI" ||
		msgs[0].RecipientAgency != "CI-DGT" || msgs[0].SenderAgency != "BF-DPE" || msgs[0].Tracking == nil ||
		msgs[0].Tracking.Milestone != "referral_accepted" {
		t.Fatalf("BF outbox = %+v", msgs)
	}
	var d corridorv1.Decision
	if err := proto.Unmarshal(msgs[0].Payload, &d); err != nil {
		t.Fatal(err)
	}
	if d.GetReferralId() != id || d.GetBaseStatus() != "delivered" || d.GetOutcome() != corridorv1.DecisionOutcome_DECISION_OUTCOME_ACCEPT {
		t.Errorf("decision payload = %v", &d)
	}

	bf.relay(msgs[0], ci)
	ci.waitStatus("ci-inspector", id, "accepted")
	sameHistory(t, "CI", history(t, ci.get("ci-inspector", id)), [][4]string{
		{"sender", "CI", "send", "sent"}, {"recipient", "BF", "deliver", "delivered"}, {"recipient", "BF", "accept", "accepted"}})
	// Once accepted, the sender may plan the handover, call it off, or
	// mark the referral entered in error; no longer withdraw.
	if a := fmt.Sprint(ci.get("ci-inspector", id)["actions"]); a != "[plan_handover cancel mark_entered_in_error]" {
		t.Errorf("CI may %v", a)
	}
}

func TestDeclineNeedsAReasonAndReachesTheSender(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", true)
	bf := newMember(t, "BF", true)
	id := ci.create("ci-inspector")["id"].(string)
	ci.relay(ci.outbox(id)[0], bf)
	bf.waitStatus("bf-caseworker", id, "delivered")

	tok := bf.token("bf-caseworker")
	for _, tc := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"no body", nil, http.StatusUnsupportedMediaType, ""},
		{"empty object", "{}", http.StatusUnprocessableEntity, "reason"},
		{"blank reason", map[string]string{"reason": "   "}, http.StatusUnprocessableEntity, "reason"},
		{"bad code", map[string]string{"reason": "x", "reason_code": "bored"}, http.StatusUnprocessableEntity, "reason_code"},
		{"unknown field", map[string]string{"reason": "x", "why": "y"}, http.StatusUnprocessableEntity, "why"},
		{"NUL", map[string]string{"reason": "a\x00"}, http.StatusUnprocessableEntity, "reason"},
	} {
		r := bf.do(http.MethodPost, "/api/v1/referrals/"+id+"/decline", tok, tc.body)
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, r.status, tc.status, r.body)
			continue
		}
		p := r.problem(t)
		if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
			t.Errorf("%s: errors %+v, want %s named", tc.name, p.Errors, tc.field)
		}
	}
	if n := bf.count("exchange_outbox"); n != 0 {
		t.Fatalf("refused declines wrote %d outbox rows", n)
	}

	r := bf.do(http.MethodPost, "/api/v1/referrals/"+id+"/decline", tok,
		map[string]string{"reason": "Family traced to Mali, not Burkina Faso", "reason_code": "outside_area"})
	if r.status != http.StatusOK {
		t.Fatalf("decline: %d %s", r.status, r.body)
	}
	body := r.json(t)
	if body["status"] != "declined" || body["decision_reason_code"] != "outside_area" {
		t.Errorf("declined referral = %v", body)
	}
	bf.relay(bf.outbox(id)[0], ci)
	ci.waitStatus("ci-inspector", id, "declined")
	got := ci.get("ci-inspector", id)
	if got["decision_reason"] != "Family traced to Mali, not Burkina Faso" || got["decision_reason_code"] != "outside_area" {
		t.Errorf("CI's declined referral: reason %v code %v", got["decision_reason"], got["decision_reason_code"])
	}
}

func TestWithdrawReachesTheRecipient(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", true)
	bf := newMember(t, "BF", true)
	id := ci.create("ci-inspector")["id"].(string)
	ci.relay(ci.outbox(id)[0], bf)
	bf.waitStatus("bf-caseworker", id, "delivered")

	// Withdrawn before the receipt came back: the sender may.
	r := ci.do(http.MethodPost, "/api/v1/referrals/"+id+"/withdraw", ci.token("ci-inspector"),
		map[string]string{"reason": "Sent to the wrong agency"})
	if r.status != http.StatusOK || r.json(t)["status"] != "withdrawn" {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if r := ci.do(http.MethodPost, "/api/v1/referrals/"+id+"/withdraw", ci.token("ci-inspector"), nil); r.status != http.StatusConflict {
		t.Errorf("withdraw twice: %d %s", r.status, r.body)
	}
	msgs := ci.outbox(id)
	if len(msgs) != 2 || msgs[1].MessageType != exchange.TypeWithdrawal || msgs[1].Tracking.Milestone != "referral_withdrawn" {
		t.Fatalf("CI outbox = %+v", msgs)
	}
	// A receipt arriving late changes nothing.
	ci.receipt(msgs[0].MessageID)
	ci.relay(msgs[1], bf)
	bf.waitStatus("bf-caseworker", id, "withdrawn")
	if r := bf.do(http.MethodPost, "/api/v1/referrals/"+id+"/accept", bf.token("bf-caseworker"), nil); r.status != http.StatusConflict {
		t.Errorf("accept a withdrawn referral: %d %s", r.status, r.body)
	}
	if got := ci.statusOf("ci-inspector", id); got != "withdrawn" {
		t.Errorf("CI status after late receipt = %s", got)
	}
}

// TestCrossingWithdrawalAndAcceptanceConverge has each side act before the
// other's message arrives: both must end withdrawn.
func TestCrossingWithdrawalAndAcceptanceConverge(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", true)
	bf := newMember(t, "BF", true)
	id := ci.create("ci-inspector")["id"].(string)
	ci.relay(ci.outbox(id)[0], bf)
	bf.waitStatus("bf-caseworker", id, "delivered")
	ci.receipt(ci.outbox(id)[0].MessageID)
	ci.waitStatus("ci-inspector", id, "delivered")

	if r := bf.do(http.MethodPost, "/api/v1/referrals/"+id+"/accept", bf.token("bf-caseworker"), nil); r.status != http.StatusOK {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	if r := ci.do(http.MethodPost, "/api/v1/referrals/"+id+"/withdraw", ci.token("ci-inspector"), nil); r.status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	ci.relay(ci.outbox(id)[1], bf)
	bf.relay(bf.outbox(id)[0], ci)

	bf.waitStatus("bf-caseworker", id, "withdrawn")
	waitFor(t, "CI to apply the crossed acceptance", func() bool {
		return len(history(t, ci.get("ci-inspector", id))) == 4
	})
	if got := ci.statusOf("ci-inspector", id); got != "withdrawn" {
		t.Errorf("CI status = %s, want withdrawn", got)
	}
	outcomes := func(m *member, user string) []string {
		var out []string
		for _, h := range m.get(user, id)["history"].([]any) {
			n, _ := h.(map[string]any)["outcome"].(string)
			out = append(out, n)
		}
		return out
	}
	if n := outcomes(ci, "ci-inspector"); n[3] != "superseded_by_withdrawal" {
		t.Errorf("CI outcomes %q: the crossed acceptance should be recorded as superseded", n)
	}
	if n := outcomes(bf, "bf-caseworker"); n[len(n)-1] != "overrode_decision" {
		t.Errorf("BF outcomes %q: the withdrawal should be recorded as overriding the decision", n)
	}
	for _, m := range []*member{ci, bf} {
		var failed int
		if err := m.pool.QueryRow(context.Background(), `SELECT count(*) FROM exchange_inbox WHERE apply_error IS NOT NULL`).Scan(&failed); err != nil {
			t.Fatal(err)
		}
		if failed != 0 {
			t.Errorf("%s quarantined %d messages", m.code, failed)
		}
	}
}
