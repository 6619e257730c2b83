package api_test

import (
	"context"
	"net/http"
	"testing"
)

// reReferral is the example referral to BF's shelter, following previous.
func reReferral(t *testing.T, previous any) map[string]any {
	t.Helper()
	doc := set(t, exampleDoc(t), "recipient.agency", "BF-REFUGE")
	return set(t, doc, "previous_referral_id", previous)
}

// chainIDs returns the ids of a referral's chain.
func chainIDs(t *testing.T, body map[string]any) []string {
	t.Helper()
	var ids []string
	for _, l := range body["chain"].([]any) {
		ids = append(ids, l.(map[string]any)["id"].(string))
	}
	return ids
}

// TestReReferralAfterADecline follows a case whose first referral BF's
// child-protection service declines: CI re-refers it to BF's shelter under
// the same case reference, and both countries see the link.
func TestReReferralAfterADecline(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", true)
	bf := newMember(t, "BF", true)
	first := ci.create("ci-inspector")
	firstID, caseRef := first["id"].(string), first["case_ref"].(string)
	ci.relay(ci.outbox(firstID)[0], bf)
	bf.waitStatus("bf-caseworker", firstID, "delivered")

	// Not before it is declined.
	r := ci.do(http.MethodPost, "/api/v1/referrals", ci.token("ci-inspector"), reReferral(t, firstID))
	if r.status != http.StatusConflict {
		t.Fatalf("re-refer a referral still open: %d %s", r.status, r.body)
	}
	if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "previous_referral_id" {
		t.Errorf("errors %+v, want one naming previous_referral_id", p.Errors)
	}

	if r := bf.do(http.MethodPost, "/api/v1/referrals/"+firstID+"/decline", bf.token("bf-caseworker"),
		map[string]string{"reason": "No place left", "reason_code": "no_capacity"}); r.status != http.StatusOK {
		t.Fatalf("decline: %d %s", r.status, r.body)
	}
	bf.relay(bf.outbox(firstID)[0], ci)
	ci.waitStatus("ci-inspector", firstID, "declined")

	r = ci.do(http.MethodPost, "/api/v1/referrals", ci.token("ci-inspector"), reReferral(t, firstID))
	if r.status != http.StatusCreated {
		t.Fatalf("re-refer: %d %s", r.status, r.body)
	}
	second := r.json(t)
	secondID := second["id"].(string)
	if secondID == firstID || second["case_ref"] != caseRef || second["previous_referral_id"] != firstID || second["status"] != "sent" {
		t.Errorf("re-referral: id %v case_ref %v previous %v status %v; want a new id under %s following %s",
			secondID, second["case_ref"], second["previous_referral_id"], second["status"], caseRef, firstID)
	}
	if got := chainIDs(t, second); len(got) != 2 || got[0] != firstID || got[1] != secondID {
		t.Errorf("chain = %v, want [%s %s]", got, firstID, secondID)
	}
	if got := chainIDs(t, ci.get("ci-inspector", firstID)); len(got) != 2 || got[1] != secondID {
		t.Errorf("the declined referral's chain = %v, want it to show %s", got, secondID)
	}
	// The first referral keeps its status.
	if s := ci.statusOf("ci-inspector", firstID); s != "declined" {
		t.Errorf("first referral is %s, want declined", s)
	}
	msg := ci.outbox(secondID)[0]
	if msg.CaseRef != caseRef || msg.RecipientAgency != "BF-REFUGE" {
		t.Errorf("outbox message: case_ref %s recipient %s", msg.CaseRef, msg.RecipientAgency)
	}
	if msg.Tracking == nil || msg.Tracking.PreviousReferralID != firstID {
		t.Errorf("tracking %+v, want previous_referral_id %s", msg.Tracking, firstID)
	}

	// Once only: the chain is a line.
	r = ci.do(http.MethodPost, "/api/v1/referrals", ci.token("ci-inspector"), reReferral(t, firstID))
	if r.status != http.StatusConflict {
		t.Errorf("second re-referral of the same referral: %d %s", r.status, r.body)
	}

	// The recipient learns it is a re-referral.
	ci.relay(msg, bf)
	waitFor(t, "BF to store the re-referral", func() bool { return bf.count("referrals") == 2 })
	var previous, gotCase string
	if err := bf.pool.QueryRow(context.Background(),
		`SELECT previous_referral_id, case_ref FROM referrals WHERE id = $1`, secondID).Scan(&previous, &gotCase); err != nil {
		t.Fatal(err)
	}
	if previous != firstID || gotCase != caseRef {
		t.Errorf("BF stored previous_referral_id %q case_ref %q", previous, gotCase)
	}
	// BF-DPE, which declined the first, sees only its own referral.
	if got := chainIDs(t, bf.get("bf-caseworker", firstID)); len(got) != 1 || got[0] != firstID {
		t.Errorf("BF-DPE's chain = %v, want its own referral only", got)
	}
}

func TestReReferralAfterAWithdrawal(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	first := ci.create("ci-inspector")
	firstID := first["id"].(string)
	if r := ci.do(http.MethodPost, "/api/v1/referrals/"+firstID+"/withdraw", ci.token("ci-inspector"),
		map[string]string{"reason": "Sent to the wrong agency"}); r.status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	r := ci.do(http.MethodPost, "/api/v1/referrals", ci.token("ci-inspector"), reReferral(t, firstID))
	if r.status != http.StatusCreated {
		t.Fatalf("re-refer: %d %s", r.status, r.body)
	}
	if got := r.json(t); got["case_ref"] != first["case_ref"] || got["previous_referral_id"] != firstID {
		t.Errorf("re-referral = %v", got)
	}
}

func TestReReferralRefusals(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	ownID := ci.create("ci-inspector")["id"].(string)
	otherAgencys := ci.create("ci-caseworker")["id"].(string)
	if r := ci.do(http.MethodPost, "/api/v1/referrals/"+otherAgencys+"/withdraw", ci.token("ci-caseworker"), nil); r.status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	before := ci.count("referrals")
	tests := []struct {
		name     string
		previous any
		status   int
	}{
		{"no such referral", "ref-doesnotexist", http.StatusUnprocessableEntity},
		{"another agency's referral", otherAgencys, http.StatusUnprocessableEntity},
		{"not an id", "ref with spaces", http.StatusUnprocessableEntity},
		{"still open", ownID, http.StatusConflict},
		{"not a string", 42, http.StatusUnprocessableEntity},
	}
	for _, tc := range tests {
		body := set(t, reReferral(t, ""), "previous_referral_id", tc.previous)
		r := ci.do(http.MethodPost, "/api/v1/referrals", ci.token("ci-inspector"), body)
		if r.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
			continue
		}
		if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "previous_referral_id" {
			t.Errorf("%s: errors %+v, want one naming previous_referral_id", tc.name, p.Errors)
		}
	}
	if n := ci.count("referrals"); n != before {
		t.Errorf("refused re-referrals filed %d referrals", n-before)
	}
}
