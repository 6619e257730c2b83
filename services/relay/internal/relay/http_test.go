package relay_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/audit"
	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/httpapi/httpapitest"
	"github.com/corridor-org/corridor/pkg/natsconf"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/oidcdev/oidcdevtest"
	"github.com/corridor-org/corridor/services/relay/internal/relay"
)

const redirectURI = "http://127.0.0.1/callback"

// TestHTTP checks the relay's API: the quarantine list needs a BF token
// with the admin or service role and never serves the raw bytes; the
// status and operational endpoints answer without one.
func TestHTTP(t *testing.T) {
	t.Parallel()
	idp := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-bf",
		Country:  bf,
		Users:    oidcdev.DemoUsers(bf),
		Clients: []oidcdev.Client{
			{ID: "corridor-web", Public: true, RedirectURIs: []string{redirectURI}},
			{ID: "monitor", Secret: "monitor-secret", Roles: []string{"service"}},
			{ID: "clerk", Secret: "clerk-secret", Roles: []string{"caseworker"}},
		},
	})
	// Another country's provider, with the same roles: BF's relay must not
	// trust it.
	otherIdP := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-bf", Country: ci,
		Clients: []oidcdev.Client{{ID: "monitor", Secret: "monitor-secret", Roles: []string{"service"}}},
	})

	w := newWorld(t)
	bfNode := w.startRelay(t, bf, func(c *relay.Config) {
		v, err := auth.NewVerifier(auth.Config{Issuers: []auth.Issuer{{URL: idp.URL, Audience: "corridor-bf", Member: bf}}},
			slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		c.Verifier = v
	})
	handler, err := bfNode.relay.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	garbage := []byte("\xff\xffnot an envelope")
	publish(t, w.nats.Members["ci"].JetStream(t, natsconf.UserOperator), "corr.ci.out.bf.referral", garbage)
	waitFor(t, "the garbage is quarantined", func() (bool, error) {
		return count(t, bfNode.pool, `SELECT count(*) FROM relay_quarantine`) == 1, nil
	})

	clientToken := func(issuer, id, secret string) string {
		tok, err := oidcdev.ClientCredentials(t.Context(), nil, issuer, id, secret)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	userToken := func(username string) string {
		tok, err := oidcdev.PasswordLogin(t.Context(), nil, idp.URL, "corridor-web", redirectURI, username, oidcdev.DemoPassword)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}

	tests := []struct {
		name   string
		token  string
		status int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"malformed token", "not-a-jwt", http.StatusUnauthorized},
		{"service client", clientToken(idp.URL, "monitor", "monitor-secret"), http.StatusOK},
		{"country administrator", userToken("bf-admin"), http.StatusOK},
		{"supervisor", userToken("bf-supervisor"), http.StatusForbidden},
		{"auditor", userToken("bf-auditor"), http.StatusForbidden},
		{"caseworker client", clientToken(idp.URL, "clerk", "clerk-secret"), http.StatusForbidden},
		{"inspector", userToken("bf-inspector"), http.StatusForbidden},
		{"another country's issuer", clientToken(otherIdP.URL, "monitor", "monitor-secret"), http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := get(t, srv.URL+"/api/v1/quarantine", tc.token)
			if status != tc.status {
				t.Fatalf("status = %d, want %d: %s", status, tc.status, body)
			}
			// The look, or the attempt, is the newest audit entry.
			if e := newestAuditEntry(t, bfNode.pool); e.Action != "GET /api/v1/quarantine" ||
				e.Detail["status"] != strconv.Itoa(tc.status) || (e.Actor == "") != (tc.status == http.StatusUnauthorized) {
				t.Errorf("newest audit entry = %+v", e)
			}
			if status != http.StatusOK {
				if !strings.Contains(body, `"status":`) {
					t.Errorf("error body is not a problem document: %s", body)
				}
				return
			}
			var list struct {
				Items []map[string]any `json:"items"`
			}
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatal(err)
			}
			if len(list.Items) != 1 || list.Items[0]["reason"] != "malformed" ||
				list.Items[0]["subject"] != "corr.bf.in.ci.referral" || list.Items[0]["size"] != float64(len(garbage)) {
				t.Errorf("items = %v", list.Items)
			}
			if _, ok := list.Items[0]["raw"]; ok {
				t.Errorf("the raw bytes are served")
			}
		})
	}

	t.Run("release and dismiss", func(t *testing.T) {
		id := quarantineID(t, bfNode.pool, "")
		path := srv.URL + "/api/v1/quarantine/" + strconv.FormatInt(id, 10)
		admin, supervisor, service := userToken("bf-admin"), userToken("bf-supervisor"), clientToken(idp.URL, "monitor", "monitor-secret")
		tests := []struct {
			name, path, token, body string
			status                  int
			want                    string // in the body
		}{
			{"read by the service", path, service, "", http.StatusOK, `"state":"quarantined"`},
			{"read by a supervisor", path, supervisor, "", http.StatusForbidden, ""},
			{"read of no message", srv.URL + "/api/v1/quarantine/999999", admin, "", http.StatusNotFound, ""},
			{"not an id", srv.URL + "/api/v1/quarantine/x", admin, "", http.StatusUnprocessableEntity, `"field":"id"`},
			{"release without a token", path + "/release", "", `{"reason":"x"}`, http.StatusUnauthorized, ""},
			{"release by a supervisor", path + "/release", supervisor, `{"reason":"x"}`, http.StatusForbidden, ""},
			{"release by the service", path + "/release", service, `{"reason":"x"}`, http.StatusForbidden, ""},
			{"dismiss by an auditor", path + "/dismiss", userToken("bf-auditor"), `{"reason":"x"}`, http.StatusForbidden, ""},
			{"release without a reason", path + "/release", admin, `{"reason":"  "}`, http.StatusUnprocessableEntity, `"field":"reason"`},
			{"release with an unknown field", path + "/release", admin, `{"reason":"x","force":true}`, http.StatusUnprocessableEntity, ""},
			{"release of garbage", path + "/release", admin, `{"reason":"asked CI"}`, http.StatusOK, `"attempts":2`},
			{"dismissal", path + "/dismiss", admin, `{"reason":"CI sent it by mistake"}`, http.StatusOK, `"last_action_note":"CI sent it by mistake"`},
			{"second dismissal", path + "/dismiss", admin, `{"reason":"again"}`, http.StatusConflict, ""},
			{"listed as dismissed", srv.URL + "/api/v1/quarantine?state=dismissed", service, "", http.StatusOK, `"last_action_by":"bf-admin"`},
			{"bad state filter", srv.URL + "/api/v1/quarantine?state=gone", service, "", http.StatusUnprocessableEntity, `"field":"state"`},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var status int
				var body string
				if tc.body == "" {
					status, body = get(t, tc.path, tc.token)
				} else {
					status, body = post(t, tc.path, tc.token, tc.body)
				}
				if status != tc.status || !strings.Contains(body, tc.want) {
					t.Errorf("status %d (want %d), body lacks %q: %s", status, tc.status, tc.want, body)
				}
				if strings.Contains(body, `"raw"`) {
					t.Errorf("the raw bytes are served: %s", body)
				}
			})
		}
		if n := count(t, bfNode.pool, `SELECT count(*) FROM relay_quarantine`); n != 1 {
			t.Errorf("the quarantine holds %d rows, want 1: a dismissal keeps the row", n)
		}
	})

	t.Run("bad page parameters", func(t *testing.T) {
		status, body := get(t, srv.URL+"/api/v1/quarantine?limit=0&before=x", clientToken(idp.URL, "monitor", "monitor-secret"))
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"limit"`) || !strings.Contains(body, `"field":"before"`) {
			t.Errorf("status %d: %s", status, body)
		}
	})

	t.Run("status", func(t *testing.T) {
		status, body := get(t, srv.URL+"/api/v1/status", "")
		var s relay.Status
		if err := json.Unmarshal([]byte(body), &s); status != http.StatusOK || err != nil {
			t.Fatalf("status %d: %s", status, body)
		}
		// The one quarantined message was dismissed above: none waits.
		if s.Quarantined != 0 || s.Unpublished != 0 || s.InboxUnapplied != 0 {
			t.Errorf("status = %+v", s)
		}
	})

	t.Run("readyz", func(t *testing.T) {
		waitFor(t, "the relay is ready", func() (bool, error) {
			status, _ := get(t, srv.URL+"/readyz", "")
			return status == http.StatusOK, nil
		})
	})

	t.Run("metrics", func(t *testing.T) {
		status, body := get(t, srv.URL+"/metrics", "")
		if status != http.StatusOK || !strings.Contains(body, `relay_quarantined_total{reason="malformed"} 1`) {
			t.Errorf("status %d; metrics lack the quarantined message", status)
		}
	})

	t.Run("unknown path and wrong method", func(t *testing.T) {
		httpapitest.CheckProblems(t, srv.URL, []httpapitest.ProblemCase{
			{Method: http.MethodGet, Path: "/api/v1/nothing", Status: http.StatusNotFound},
			{Method: http.MethodGet, Path: "/", Status: http.StatusNotFound},
			{Method: http.MethodPost, Path: "/api/v1/quarantine", Status: http.StatusMethodNotAllowed, Allow: "GET"},
			{Method: http.MethodDelete, Path: "/api/v1/status", Status: http.StatusMethodNotAllowed, Allow: "GET"},
			{Method: http.MethodPost, Path: "/healthz", Status: http.StatusMethodNotAllowed, Allow: "GET"},
		})
	})
}

func post(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
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

func newestAuditEntry(t *testing.T, pool *pgxpool.Pool) audit.Entry {
	t.Helper()
	seq, _, err := audit.Head(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var e audit.Entry
	if err := audit.Entries(t.Context(), pool, audit.Range{FromSeq: seq}, func(x audit.Entry) error { e = x; return nil }); err != nil {
		t.Fatal(err)
	}
	return e
}
