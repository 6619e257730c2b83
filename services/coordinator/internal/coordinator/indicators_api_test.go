package coordinator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/indicatorset"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/oidcdev/oidcdevtest"
)

// TestIndicatorsAPI serves the indicators, the targets and signed sets to
// coordinators, refuses bad queries field by field, and never shows a
// small count.
func TestIndicatorsAPI(t *testing.T) {
	t.Parallel()
	coordUser := oidcdev.User{Username: "coordinator", Password: oidcdev.DemoPassword, Roles: []string{"coordinator"}, Agency: "ECOWAS-CLU"}
	idp := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-coord", Country: coord, Users: []oidcdev.User{coordUser},
		Clients: []oidcdev.Client{{ID: "corridor-web", Public: true, RedirectURIs: []string{redirectURI}}},
	})
	w := newWorld(t, issuers{coord: idp.URL})
	n := w.startCoordinator(t, false)
	handler, err := n.c.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	insertAll(t, n.pool, corpus())
	tok, err := oidcdev.PasswordLogin(t.Context(), nil, idp.URL, "corridor-web", redirectURI, "coordinator", oidcdev.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	token := tok.AccessToken
	doc := coordinatorDoc(t)

	t.Run("indicators", func(t *testing.T) {
		status, body := get(t, srv.URL+"/api/v1/indicators?period=quarter&from=2026-01&to=2026-03&breakdown=sector", token)
		if status != http.StatusOK {
			t.Fatalf("GET indicators = %d: %s", status, body)
		}
		var got struct {
			Period    string           `json:"period"`
			Counts    []map[string]any `json:"counts"`
			Durations []map[string]any `json:"durations"`
			Scorecard []map[string]any `json:"scorecard"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if got.Period != "quarter" || len(got.Counts) == 0 || len(got.Durations) == 0 || len(got.Scorecard) == 0 {
			t.Fatalf("indicators %s", body)
		}
		suppressed := 0
		for _, kind := range []struct {
			schema string
			cells  []map[string]any
		}{{"CountCell", got.Counts}, {"DurationCell", got.Durations}, {"ScoreCell", got.Scorecard}} {
			schema := doc.schema(t, kind.schema)
			for _, c := range kind.cells {
				for _, problem := range schema.check(c) {
					t.Errorf("%s %v: %s", kind.schema, c, problem)
				}
				if c["suppressed"] == true {
					suppressed++
					for _, k := range []string{"value", "median_hours", "p90_hours", "share"} {
						if _, ok := c[k]; ok {
							t.Errorf("suppressed cell %v carries %s", c, k)
						}
					}
				}
				if v, ok := c["value"].(float64); ok && v >= 1 && v <= 4 {
					t.Errorf("cell %v shows a small count", c)
				}
			}
		}
		if suppressed == 0 {
			t.Error("no cell is suppressed in a release with small counts")
		}
	})

	t.Run("bad queries", func(t *testing.T) {
		for query, field := range map[string]string{
			"period=week":               "period",
			"from=2026-13":              "from",
			"to=yesterday":              "to",
			"from=2026-06&to=2026-01":   "from",
			"breakdown=colour":          "breakdown",
			"direction=CI-XX":           "direction",
			"direction=CI":              "direction",
			"colour=red":                "colour",
			"period=month&from=2001-01": "from",
		} {
			status, body := get(t, srv.URL+"/api/v1/indicators?"+query, token)
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"`+field+`"`) {
				t.Errorf("GET indicators?%s = %d %s, want 422 naming %s", query, status, body, field)
			}
		}
	})

	t.Run("targets", func(t *testing.T) {
		status, body := get(t, srv.URL+"/api/v1/indicators/targets?from=2026-01&to=2026-03", token)
		if status != http.StatusOK || !strings.Contains(body, `"items":[]`) {
			t.Errorf("GET targets = %d %s; the test directory has no targets", status, body)
		}
	})

	t.Run("sets", func(t *testing.T) {
		post := func(body string) (int, string) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1/indicators/sets", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		for _, body := range []string{`{"period":"week","from":"2026-01","to":"2026-03"}`, `{"period":"month","from":"2026-01"}`, `{"period":"month","from":"2026-01","to":"x"}`} {
			if status, got := post(body); status != http.StatusUnprocessableEntity {
				t.Errorf("POST sets %s = %d %s, want 422", body, status, got)
			}
		}
		if status, got := post(`{"period":`); status != http.StatusBadRequest {
			t.Errorf("POST sets with a broken body = %d %s, want 400", status, got)
		}
		status, body := post(`{"period":"quarter","from":"2026-01","to":"2026-03"}`)
		if status != http.StatusCreated {
			t.Fatalf("POST sets = %d %s", status, body)
		}
		var created struct {
			ID     string `json:"id"`
			Signed []byte `json:"signed"`
			From   string `json:"from"`
		}
		if err := json.Unmarshal([]byte(body), &created); err != nil {
			t.Fatal(err)
		}
		if created.From != "2026-01-01" {
			t.Errorf("set from %q", created.From)
		}
		// The same again: nothing changed, so the same set.
		status, body = post(`{"period":"quarter","from":"2026-01","to":"2026-03"}`)
		if status != http.StatusOK || !strings.Contains(body, `"id":"`+created.ID+`"`) {
			t.Errorf("POST sets again = %d %.100s, want 200 with set %s", status, body, created.ID)
		}
		status, body = get(t, srv.URL+"/api/v1/indicators/sets?period=quarter", token)
		var list struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal([]byte(body), &list); status != http.StatusOK || err != nil || len(list.Items) != 1 || list.Items[0]["id"] != created.ID {
			t.Errorf("GET sets = %d %s, want set %s alone", status, body, created.ID)
		}
		for _, item := range list.Items {
			for _, problem := range doc.schema(t, "IndicatorSetSummary").check(item) {
				t.Errorf("IndicatorSetSummary %v: %s", item, problem)
			}
		}
		status, body = get(t, srv.URL+"/api/v1/indicators/sets/latest?period=quarter", token)
		if status != http.StatusOK || !strings.Contains(body, `"id":"`+created.ID+`"`) {
			t.Errorf("GET sets/latest = %d %.100s, want set %s", status, body, created.ID)
		}
		for query, want := range map[string]int{"period=month": http.StatusNotFound, "period=week": http.StatusUnprocessableEntity} {
			if status, body := get(t, srv.URL+"/api/v1/indicators/sets/latest?"+query, token); status != want {
				t.Errorf("GET sets/latest?%s = %d %s, want %d", query, status, body, want)
			}
		}
		for _, query := range []string{"period=week", "limit=0", "colour=red"} {
			if status, body := get(t, srv.URL+"/api/v1/indicators/sets?"+query, token); status != http.StatusUnprocessableEntity {
				t.Errorf("GET sets?%s = %d %s, want 422", query, status, body)
			}
		}
		status, body = get(t, srv.URL+"/api/v1/indicators/sets/"+url.PathEscape(created.ID), token)
		if status != http.StatusOK {
			t.Fatalf("GET set = %d %s", status, body)
		}
		var fetched struct {
			Signed []byte `json:"signed"`
		}
		if err := json.Unmarshal([]byte(body), &fetched); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fetched.Signed, created.Signed) {
			t.Error("the set served differs from the set published")
		}
		if _, err := indicatorset.Open(w.dir, fetched.Signed); err != nil {
			t.Errorf("the served set does not verify: %v", err)
		}
		for _, id := range []string{"coord-set-nothing", "bad%20id"} {
			if status, body := get(t, srv.URL+"/api/v1/indicators/sets/"+id, token); status != http.StatusNotFound {
				t.Errorf("GET set %s = %d %s, want 404", id, status, body)
			}
		}
	})

	t.Run("auth", func(t *testing.T) {
		for _, path := range []string{"/api/v1/indicators", "/api/v1/indicators/targets", "/api/v1/indicators/sets/x"} {
			if status, body := get(t, srv.URL+path, ""); status != http.StatusUnauthorized {
				t.Errorf("GET %s without a token = %d %s", path, status, body)
			}
		}
	})
}
