package coordinator_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/httpapi/httpapitest"
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
	identified := t0.Add(-50 * time.Hour)
	sent := event(t0)
	sent.IdentifiedAt = identified.UnixMicro()
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

	// Refused events, recorded as the consumer records them: a digest and
	// the size of the bytes, never the bytes.
	var refused []refusedRow
	for i, r := range []refusedRow{
		{reason: coordinator.ReasonMalformed, data: []byte{0xff, 0x00, 0xff}},
		{reason: coordinator.ReasonBadSignature, member: "CI", data: []byte("forged event one")},
		{reason: coordinator.ReasonInvalid, member: "BF", eventID: "bf-trk-7", data: []byte("an invalid event")},
		{reason: coordinator.ReasonRouteMismatch, member: "CI", data: []byte("a referral sent to the coordinator")},
		{reason: coordinator.ReasonGaveUp, member: "CI", eventID: "ci-trk-9", data: []byte("an event that kept failing")},
	} {
		refused = append(refused, n.quarantine(t, uint64(100+i), r))
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
			{"a country administrator", login(ciIdP, "ci-admin"), http.StatusForbidden},
			{"an auditor", login(ciIdP, "ci-auditor"), http.StatusForbidden},
			{"a provider not in the directory", login(bfIdP, "bf-coordinator"), http.StatusUnauthorized},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for _, path := range []string{"/api/v1/cases", "/api/v1/cases/" + sent.CaseRef, "/api/v1/quarantine",
					"/api/v1/overdue", "/api/v1/members/freshness", "/api/v1/notifications"} {
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
			OpenedAt: t0.UTC(), Sector: "A", AgeBand: "12-14", Sex: "female", IdentifiedAt: identified.UTC(),
			ReferralID: sent.ReferralId, Referrals: 1, DueStep: "handover",
			DueAt: t0.Add(2*time.Hour + 30*24*time.Hour).UTC(),
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
			{Milestone: "referral_sent", Member: "CI", At: t0.UTC(), ReferralID: sent.ReferralId,
				RecipientMember: "BF", RecipientAgency: "BF-DPE", IdentifiedAt: identified.UTC()},
			{Milestone: "referral_delivered", Member: "BF", At: t0.Add(time.Minute).UTC(), ReferralID: sent.ReferralId,
				RecipientMember: "BF", RecipientAgency: "BF-DPE"},
			{Milestone: "referral_accepted", Member: "BF", At: t0.Add(2 * time.Hour).UTC(), ReferralID: sent.ReferralId,
				RecipientMember: "BF", RecipientAgency: "BF-DPE"},
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

	t.Run("quarantine", func(t *testing.T) {
		status, body := get(t, srv.URL+"/api/v1/quarantine", coordinatorToken)
		list := decodeQuarantine(t, status, body)
		if got, want := ids(list.Items), []int64{refused[4].id, refused[3].id, refused[2].id, refused[1].id, refused[0].id}; !slices.Equal(got, want) {
			t.Fatalf("ids = %v, want %v (newest first)", got, want)
		}
		if list.NextBefore != 0 {
			t.Errorf("next_before = %d on the only page", list.NextBefore)
		}
		for i, item := range list.Items {
			r := refused[len(refused)-1-i]
			sum := sha256.Sum256(r.data)
			want := quarantineItem{
				ID: r.id, ReceivedAt: item.ReceivedAt, StreamSeq: r.seq, Subject: "corr.coord.in.ci.tracking",
				Reason: string(r.reason), Error: "refused: " + string(r.reason), Member: r.member, EventID: r.eventID,
				Size: len(r.data), SHA256: hex.EncodeToString(sum[:]),
			}
			if item != want {
				t.Errorf("item %d = %+v\nwant     %+v", i, item, want)
			}
			if item.ReceivedAt.IsZero() || item.ReceivedAt.Location() != time.UTC {
				t.Errorf("item %d: received_at %v, want a UTC time", i, item.ReceivedAt)
			}
		}
		// Exactly what the table holds, named as coordinator.yaml says.
		var raw struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal([]byte(body), &raw); err != nil {
			t.Fatal(err)
		}
		schema := coordinatorDoc(t).schema(t, "QuarantinedEvent")
		for _, item := range raw.Items {
			for _, problem := range schema.check(item) {
				t.Errorf("item %v: %s", item["id"], problem)
			}
		}
		if _, ok := raw.Items[len(raw.Items)-1]["member"]; ok {
			t.Errorf("a malformed event, whose member could not be read, lists one: %v", raw.Items[len(raw.Items)-1])
		}
	})

	t.Run("quarantine pages", func(t *testing.T) {
		page := func(query string) quarantineList {
			t.Helper()
			status, body := get(t, srv.URL+"/api/v1/quarantine?"+query, coordinatorToken)
			return decodeQuarantine(t, status, body)
		}
		first := page("limit=2")
		if got, want := ids(first.Items), []int64{refused[4].id, refused[3].id}; !slices.Equal(got, want) || first.NextBefore != refused[3].id {
			t.Fatalf("first page %v, next_before %d; want %v and %d", got, first.NextBefore, want, refused[3].id)
		}
		// An event refused while the operator pages does not shift the pages.
		later := n.quarantine(t, 200, refusedRow{reason: coordinator.ReasonUnknownKey, member: "BF", data: []byte("later")})
		second := page("limit=2&before=" + strconv.FormatInt(first.NextBefore, 10))
		if got, want := ids(second.Items), []int64{refused[2].id, refused[1].id}; !slices.Equal(got, want) || second.NextBefore != refused[1].id {
			t.Fatalf("second page %v, next_before %d; want %v and %d", got, second.NextBefore, want, refused[1].id)
		}
		last := page("limit=2&before=" + strconv.FormatInt(second.NextBefore, 10))
		if got, want := ids(last.Items), []int64{refused[0].id}; !slices.Equal(got, want) || last.NextBefore != 0 {
			t.Fatalf("last page %v, next_before %d; want %v and none", got, last.NextBefore, want)
		}
		// A page exactly as long as what remains is the last one.
		if exact := page("limit=6"); len(exact.Items) != 6 || exact.Items[0].ID != later.id || exact.NextBefore != 0 {
			t.Errorf("limit=6: %v, next_before %d; want all six, the latest first, and no next page", ids(exact.Items), exact.NextBefore)
		}
		if full := page("limit=500"); len(full.Items) != 6 {
			t.Errorf("limit=500: %d items, want 6", len(full.Items))
		}
	})

	t.Run("quarantine bad parameters", func(t *testing.T) {
		tests := []struct{ query, field string }{
			{"limit=0", "limit"},
			{"limit=501", "limit"},
			{"limit=-1", "limit"},
			{"limit=ten", "limit"},
			{"limit=", ""}, // empty: the default
			{"before=0", "before"},
			{"before=x", "before"},
			{"before=1e3", "before"},
		}
		for _, tc := range tests {
			status, body := get(t, srv.URL+"/api/v1/quarantine?"+tc.query, coordinatorToken)
			if tc.field == "" {
				if status != http.StatusOK {
					t.Errorf("%s: status %d: %s", tc.query, status, body)
				}
				continue
			}
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"`+tc.field+`"`) ||
				!strings.Contains(body, `"type":"urn:corridor:problem:invalid"`) {
				t.Errorf("%s: status %d: %s", tc.query, status, body)
			}
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

	t.Run("unknown path and wrong method", func(t *testing.T) {
		httpapitest.CheckProblems(t, srv.URL, []httpapitest.ProblemCase{
			{Method: http.MethodGet, Path: "/api/v1/nothing", Status: http.StatusNotFound},
			{Method: http.MethodGet, Path: "/", Status: http.StatusNotFound},
			{Method: http.MethodPost, Path: "/api/v1/cases", Status: http.StatusMethodNotAllowed, Allow: "GET"},
			{Method: http.MethodDelete, Path: "/api/v1/cases/" + sent.CaseRef, Status: http.StatusMethodNotAllowed, Allow: "GET"},
			{Method: http.MethodPut, Path: "/api/v1/quarantine", Status: http.StatusMethodNotAllowed, Allow: "GET"},
			{Method: http.MethodGet, Path: "/api/v1/cases/" + sent.CaseRef + "/events", Status: http.StatusNotFound},
			{Method: http.MethodPost, Path: "/healthz", Status: http.StatusMethodNotAllowed, Allow: "GET"},
		})
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

// refusedRow is a quarantined event a test records, and the id it got.
type refusedRow struct {
	reason  coordinator.Reason
	member  string
	eventID string
	data    []byte
	seq     uint64
	id      int64
}

// quarantine records r as refused at INBOX sequence seq, as the consumer
// does, and returns it with its id.
func (n *node) quarantine(t *testing.T, seq uint64, r refusedRow) refusedRow {
	t.Helper()
	sum := sha256.Sum256(r.data)
	r.seq = seq
	if err := n.pool.QueryRow(t.Context(), `
		INSERT INTO coordinator_quarantine (stream_seq, subject, reason, error, member, event_id, size, sha256)
		VALUES ($1, 'corr.coord.in.ci.tracking', $2, $3, $4, $5, $6, $7)
		RETURNING id`,
		int64(seq), string(r.reason), "refused: "+string(r.reason), r.member, r.eventID, len(r.data), sum[:]).
		Scan(&r.id); err != nil {
		t.Fatalf("record a refused event: %v", err)
	}
	return r
}

// quarantineItem and quarantineList are GET /api/v1/quarantine's answer.
type quarantineItem struct {
	ID         int64     `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	StreamSeq  uint64    `json:"stream_seq"`
	Subject    string    `json:"subject"`
	Reason     string    `json:"reason"`
	Error      string    `json:"error"`
	Member     string    `json:"member"`
	EventID    string    `json:"event_id"`
	Size       int       `json:"size"`
	SHA256     string    `json:"sha256"`
}

type quarantineList struct {
	Items      []quarantineItem `json:"items"`
	NextBefore int64            `json:"next_before"`
}

func decodeQuarantine(t *testing.T, status int, body string) quarantineList {
	t.Helper()
	var list quarantineList
	if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil || list.Items == nil {
		t.Fatalf("status %d (%v): %s", status, err, body)
	}
	return list
}

func ids(items []quarantineItem) []int64 {
	out := make([]int64, 0, len(items))
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}
