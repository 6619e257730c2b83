package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/corridor-org/corridor/pkg/exchange"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
)

func TestCreateSendsInOneTransaction(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)

	r := ci.do(http.MethodPost, "/api/v1/referrals", ci.token("ci-inspector"), exampleBytes(t))
	if r.status != http.StatusCreated {
		t.Fatalf("status %d, want 201: %s", r.status, r.body)
	}
	body := r.json(t)
	id, _ := body["id"].(string)
	caseRef, _ := body["case_ref"].(string)
	if !strings.HasPrefix(id, "ref-") || !strings.HasPrefix(caseRef, "case-") {
		t.Fatalf("id %q, case_ref %q: want ref-… and case-…", id, caseRef)
	}
	if got := r.header.Get("Location"); got != "/api/v1/referrals/"+id {
		t.Errorf("Location = %q", got)
	}
	for key, want := range map[string]any{"status": "sent", "direction": "outgoing", "urgency": "urgent"} {
		if body[key] != want {
			t.Errorf("%s = %v, want %v", key, body[key], want)
		}
	}
	if s := body["sender"].(map[string]any); s["member"] != "CI" || s["agency"] != "CI-DGT" {
		t.Errorf("sender = %v", s)
	}
	if h := body["history"].([]any); len(h) != 1 || h[0].(map[string]any)["event"] != "send" ||
		h[0].(map[string]any)["to_status"] != "sent" {
		t.Errorf("history = %v", h)
	}
	if a := fmt.Sprint(body["actions"]); a != "[withdraw mark_entered_in_error]" {
		t.Errorf("actions = %v, want [withdraw mark_entered_in_error]", a)
	}

	msgs := ci.outbox(id)
	if len(msgs) != 1 {
		t.Fatalf("%d outbox messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.MessageType != exchange.TypeReferral || m.CaseRef != caseRef || m.Corridor != "ci-bf" ||
		m.SenderAgency != "CI-DGT" || m.RecipientMember != "BF" || m.RecipientAgency != "BF-DPE" ||
		!strings.HasPrefix(m.MessageID, "ci-") {
		t.Errorf("outbox row = %+v", m)
	}
	// The child was found at 2026-03-02T09:00:00Z (work.found_at).
	wantTracking := exchange.Tracking{Milestone: "referral_sent", Sector: "A", AgeBand: "12-14", Sex: "male",
		IdentifiedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	if m.Tracking == nil || *m.Tracking != wantTracking {
		t.Errorf("tracking = %+v, want %+v", m.Tracking, wantTracking)
	}
	var p corridorv1.Referral
	if err := proto.Unmarshal(m.Payload, &p); err != nil {
		t.Fatalf("payload: %v", err)
	}
	if p.GetReferralId() != id || p.GetBaseStatus() != "draft" || p.GetRouting().GetCaseRef() != caseRef ||
		p.GetRouting().GetSendingOfficer().GetUserId() != "ci-inspector" ||
		p.GetChild().GetName().GetGivenNames() != "Demo Issa" || p.GetWork().GetPlace() != "CI-BS" ||
		p.GetWork().GetSector() != "01" || p.GetRouting().GetUrgency() != corridorv1.Urgency_URGENCY_URGENT {
		t.Errorf("payload = %v", &p)
	}

	// The referral, its history row and the outbox row were written by one
	// transaction: PostgreSQL stamps each row with its transaction's id.
	var xids int
	err := ci.pool.QueryRow(context.Background(), `
		SELECT count(DISTINCT x) FROM (
			SELECT xmin::text AS x FROM referrals WHERE id = $1
			UNION ALL SELECT xmin::text FROM referral_history WHERE referral_id = $1
			UNION ALL SELECT xmin::text FROM exchange_outbox WHERE referral_id = $1) t`, id).Scan(&xids)
	if err != nil {
		t.Fatal(err)
	}
	if xids != 1 {
		t.Errorf("rows written by %d transactions, want 1", xids)
	}
}

// TestSupervisorOverridesConsent files a referral without consent, which
// only a supervisor may, and checks that the override is attributed to the
// supervisor's verified identity.
func TestSupervisorOverridesConsent(t *testing.T) {
	t.Parallel()
	ci := newMember(t, "CI", false)
	doc := exampleDoc(t)
	set(t, doc, "consent", map[string]any{
		"to_services": false, "to_share_abroad": false,
		"override": map[string]any{"reason": "The child is in danger and no caregiver can be reached"},
	})
	for user, want := range map[string]int{"ci-inspector": http.StatusForbidden, "ci-caseworker": http.StatusForbidden, "ci-supervisor": http.StatusCreated} {
		r := ci.do(http.MethodPost, "/api/v1/referrals", ci.token(user), doc)
		if r.status != want {
			t.Fatalf("%s: status %d, want %d: %s", user, r.status, want, r.body)
		}
		if want != http.StatusCreated {
			continue
		}
		o := r.json(t)["consent"].(map[string]any)["override"].(map[string]any)
		if o["by"] != "ci-supervisor" || o["role"] != "supervisor" || o["decided_at"] == "" {
			t.Errorf("stored override = %v", o)
		}
		var p corridorv1.Referral
		if err := proto.Unmarshal(ci.outbox(r.json(t)["id"].(string))[0].Payload, &p); err != nil {
			t.Fatal(err)
		}
		if ov := p.GetConsent().GetOverride(); ov.GetSupervisor().GetUserId() != "ci-supervisor" || ov.GetReason() == "" || ov.GetDecidedAt() == 0 {
			t.Errorf("override on the wire = %v", ov)
		}
	}
}
