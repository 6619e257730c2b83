package coordinator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/oidcdev/oidcdevtest"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

const redirectURI = "http://127.0.0.1/callback"

// TestAPI serves case timelines to coordinators logged in with any member's
// identity provider in the directory, and to no one else.
func TestAPI(t *testing.T) {
	t.Parallel()
	coordUser := oidcdev.User{Username: "coordinator", Password: oidcdev.DemoPassword, Roles: []string{"coordinator"}, Agency: "ECOWAS-CLU"}
	coordIdP := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-coord", Country: coord, Users: []oidcdev.User{coordUser},
		Clients: []oidcdev.Client{{ID: "corridor-web", Public: true, RedirectURIs: []string{redirectURI}}},
	})
	ciIdP := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-ci", Country: ci, Users: oidcdev.DemoUsers(ci),
		Clients: []oidcdev.Client{{ID: "corridor-web", Public: true, RedirectURIs: []string{redirectURI}}},
	})
	// BF's provider is not in this directory: its coordinators are not trusted.
	bfIdP := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-bf", Country: bf, Users: oidcdev.DemoUsers(bf),
		Clients: []oidcdev.Client{{ID: "corridor-web", Public: true, RedirectURIs: []string{redirectURI}}},
	})
	w := newWorld(t, issuers{coord: coordIdP.URL, ci: ciIdP.URL})
	n := w.startCoordinator(t, false)
	handler, err := n.c.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	// Case A's events arrive out of order; case B is more recent.
	t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Microsecond)
	sent := event(t0)
	delivered := event(t0.Add(time.Minute))
	accepted := event(t0.Add(2 * time.Hour))
	for _, ev := range []*trackingv1.TrackingEvent{delivered, accepted} {
		ev.CaseRef, ev.ReferralId = sent.CaseRef, sent.ReferralId
		ev.Member, ev.Sector, ev.AgeBand, ev.Sex = "BF", "", "", ""
	}
	delivered.Milestone, accepted.Milestone = "referral_delivered", "referral_accepted"
	caseB := event(t0.Add(150 * time.Minute))
	for _, ev := range []*trackingv1.TrackingEvent{accepted, sent, caseB, delivered} {
		s := w.signers[ci]
		from := "ci"
		if ev.Member == "BF" {
			s, from = w.signers[bf], "bf"
		}
		if _, err := n.c.Ingest(t.Context(), from, s.sign(t, ev)); err != nil {
			t.Fatal(err)
		}
	}

	login := func(idp *oidcdevtest.Server, username string) string {
		tok, err := oidcdev.PasswordLogin(t.Context(), nil, idp.URL, "corridor-web", redirectURI, username, oidcdev.DemoPassword)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	coordinatorToken := login(coordIdP, "coordinator")

	t.Run("auth", func(t *testing.T) {
		tests := []struct {
			name   string
			token  string
			status int
		}{
			{"no token", "", http.StatusUnauthorized},
			{"the coordinator's own provider", coordinatorToken, http.StatusOK},
			{"a member country's focal point", login(ciIdP, "ci-coordinator"), http.StatusOK},
			{"an inspector", login(ciIdP, "ci-inspector"), http.StatusForbidden},
			{"a caseworker", login(ciIdP, "ci-caseworker"), http.StatusForbidden},
			{"a provider not in the directory", login(bfIdP, "bf-coordinator"), http.StatusUnauthorized},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for _, path := range []string{"/api/v1/cases", "/api/v1/cases/" + sent.CaseRef} {
					status, body := get(t, srv.URL+path, tc.token)
					if status != tc.status {
						t.Errorf("GET %s = %d, want %d: %s", path, status, tc.status, body)
					}
				}
			})
		}
	})

	t.Run("list", func(t *testing.T) {
		status, body := get(t, srv.URL+"/api/v1/cases", coordinatorToken)
		var list struct {
			Items []coordinator.CaseSummary `json:"items"`
		}
		if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil {
			t.Fatalf("status %d: %s", status, body)
		}
		if len(list.Items) != 2 || list.Items[0].CaseRef != caseB.CaseRef || list.Items[1].CaseRef != sent.CaseRef {
			t.Fatalf("items = %+v, want case B then case A", list.Items)
		}
		a := list.Items[1]
		want := coordinator.CaseSummary{
			CaseRef: sent.CaseRef, SenderMember: "CI", RecipientMember: "BF", SenderAgency: "CI-DGT",
			RecipientAgency: "BF-DPE", LatestMilestone: "referral_accepted", UpdatedAt: t0.Add(2 * time.Hour).UTC(),
			OpenedAt: t0.UTC(), Sector: "A", AgeBand: "12-14", Sex: "female",
		}
		if a != want {
			t.Errorf("case A = %+v\nwant     %+v", a, want)
		}
		for _, field := range []string{`"case_ref"`, `"latest_milestone"`, `"updated_at"`, `"opened_at"`, `"age_band"`} {
			if !strings.Contains(body, field) {
				t.Errorf("body lacks %s", field)
			}
		}
	})

	t.Run("timeline", func(t *testing.T) {
		status, body := get(t, srv.URL+"/api/v1/cases/"+sent.CaseRef, coordinatorToken)
		var c coordinator.Case
		if err := json.Unmarshal([]byte(body), &c); status != http.StatusOK || err != nil {
			t.Fatalf("status %d: %s", status, body)
		}
		want := []coordinator.TimelineEntry{
			{Milestone: "referral_sent", Member: "CI", At: t0.UTC(), ReferralID: sent.ReferralId},
			{Milestone: "referral_delivered", Member: "BF", At: t0.Add(time.Minute).UTC(), ReferralID: sent.ReferralId},
			{Milestone: "referral_accepted", Member: "BF", At: t0.Add(2 * time.Hour).UTC(), ReferralID: sent.ReferralId},
		}
		if len(c.Timeline) != len(want) {
			t.Fatalf("timeline = %+v", c.Timeline)
		}
		for i := range want {
			if c.Timeline[i] != want[i] {
				t.Errorf("timeline[%d] = %+v, want %+v", i, c.Timeline[i], want[i])
			}
		}
		if c.CaseRef != sent.CaseRef || c.LatestMilestone != "referral_accepted" {
			t.Errorf("case = %+v", c.CaseSummary)
		}
	})

	t.Run("unknown case", func(t *testing.T) {
		for _, ref := range []string{"case-unknown", "not%20a%20reference"} {
			status, body := get(t, srv.URL+"/api/v1/cases/"+ref, coordinatorToken)
			if status != http.StatusNotFound || !strings.Contains(body, `"status":404`) {
				t.Errorf("GET %s = %d: %s", ref, status, body)
			}
		}
	})

	t.Run("bad limit", func(t *testing.T) {
		status, body := get(t, srv.URL+"/api/v1/cases?limit=0", coordinatorToken)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"limit"`) {
			t.Errorf("status %d: %s", status, body)
		}
	})

	t.Run("operations", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/metrics"} {
			if status, _ := get(t, srv.URL+path, ""); status != http.StatusOK {
				t.Errorf("GET %s = %d", path, status)
			}
		}
		// Not running (this test feeds events by hand): not ready.
		if status, _ := get(t, srv.URL+"/readyz", ""); status != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz = %d, want 503 before Run", status)
		}
	})
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
