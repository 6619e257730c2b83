package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corridor-org/corridor/services/sandbox/internal/sandbox"
)

// verifyOutput is corridorctl indicators verify's verdict line.
var verifyOutput = regexp.MustCompile(`^(agrees|differs): set (\S+) `)

// runVerify runs the demo's verification command (verifyCommand) for a
// member with the built corridorctl, and returns its verdict, the set it
// checked and what it printed.
func runVerify(t *testing.T, bin, dir string, e sandbox.Endpoints, member, coordinatorToken string) (verdict, setID, out string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), filepath.Join(bin, "corridorctl"), verifyArgs(e, member, dir)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+e.Members[member].Database, "CORRIDOR_TOKEN="+coordinatorToken)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out = strings.TrimSpace(stdout.String() + "\n" + stderr.String())
	m := verifyOutput.FindStringSubmatch(stdout.String())
	switch {
	case m == nil:
		return "", "", out // no set yet, or the command failed before checking
	case (m[1] == "agrees") != (err == nil):
		t.Errorf("corridorctl says %q but exits with %v", m[1], err)
	}
	return m[1], m[2], out
}

// checkPublishedFigures is the proof of verifiable figures on the
// running corridor: the coordinator publishes a set of the month on its
// own; CI's and BF's corridorctl, each against its own database, agree with
// it; one of CI's events altered in the coordinator's database makes the
// next set differ for CI, naming that event, and not for BF.
func checkPublishedFigures(t *testing.T, bin, dir string, e sandbox.Endpoints, coordinatorToken, caseRef string) {
	ctx := t.Context()
	var agreed string
	eventually(t, "CI and BF to agree with the newest published set", func() error {
		var sets []string
		for _, member := range []string{"CI", "BF"} {
			verdict, set, out := runVerify(t, bin, dir, e, member, coordinatorToken)
			if verdict != "agrees" {
				return fmt.Errorf("%s: %s", member, out)
			}
			sets = append(sets, set)
		}
		if sets[0] != sets[1] {
			return fmt.Errorf("CI checked set %s, BF set %s: a set was published in between", sets[0], sets[1])
		}
		agreed = sets[0]
		return nil
	})
	t.Logf("CI and BF agree with set %s", agreed)

	// Someone with access to the coordinator's database moves one of CI's
	// referrals to another sector.
	pool := openPool(t, e.Coordinator.Database)
	var altered, sector string
	if err := pool.QueryRow(ctx, `
		SELECT event_id, sector FROM tracking_events
		WHERE case_ref = $1 AND member = 'CI' AND milestone = 'referral_sent'`, caseRef).Scan(&altered, &sector); err != nil {
		t.Fatalf("find CI's referral_sent of %s at the coordinator: %v", caseRef, err)
	}
	other := "C"
	if sector == other {
		other = "A"
	}
	restore := func(ctx context.Context) {
		if _, err := pool.Exec(ctx, `UPDATE tracking_events SET sector = $2 WHERE event_id = $1`, altered, sector); err != nil {
			t.Errorf("restore event %s: %v", altered, err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE tracking_events SET sector = $2 WHERE event_id = $1`, altered, other); err != nil {
		t.Fatal(err)
	}
	defer restore(context.WithoutCancel(ctx))

	eventually(t, "CI's check of a new set to name the altered event", func() error {
		verdict, set, out := runVerify(t, bin, dir, e, "CI", coordinatorToken)
		if set == agreed || verdict != "differs" {
			// A set computed before the change may still agree.
			return fmt.Errorf("no set with the change yet: %s", out)
		}
		if !strings.Contains(out, altered) {
			t.Fatalf("after event %s was altered, CI's check of set %s says: %s", altered, set, out)
		}
		t.Logf("CI: %s", out)
		return nil
	})
	if verdict, _, out := runVerify(t, bin, dir, e, "BF", coordinatorToken); verdict != "agrees" {
		t.Errorf("BF's events are unaltered, but its check says: %s", out)
	}
}

// coordinatorOutputs returns what the coordinator serves about the
// corridor, for the personal data scan: its JSON API (cases and every
// case's timeline, overdue steps, notices, freshness, quarantine,
// indicators with every breakdown, targets, and the published sets, with
// the signed bytes of the newest one as well).
//
// Its web pages and CSV exports (/cases, /cases/{case_ref}, /overdue,
// /members, /indicators, /targets, /report and the .csv exports) are read
// too, signed in as a person (coordinatorPages).
func coordinatorOutputs(t *testing.T, e sandbox.Endpoints, coordinator sandbox.API) map[string][]byte {
	t.Helper()
	ctx := t.Context()
	out := map[string][]byte{}
	get := func(path string) []byte {
		var raw jsonBytes
		if err := coordinator.Do(ctx, http.MethodGet, path, nil, &raw); err != nil {
			t.Errorf("the coordinator's %s: %v", path, err)
		}
		out[path] = raw
		return raw
	}
	var cases struct {
		Items []struct {
			CaseRef string `json:"case_ref"`
		} `json:"items"`
	}
	if err := unmarshal(get("/api/v1/cases?limit=1000"), &cases); err != nil || len(cases.Items) == 0 {
		t.Errorf("the coordinator lists %d cases (%v)", len(cases.Items), err)
	}
	for _, c := range cases.Items {
		get("/api/v1/cases/" + url.PathEscape(c.CaseRef))
	}
	for _, path := range []string{"/api/v1/overdue", "/api/v1/notifications", "/api/v1/members/freshness", "/api/v1/quarantine",
		"/api/v1/indicators/targets", "/api/v1/indicators/sets"} {
		get(path)
	}
	for _, by := range []string{"sector", "age_band", "sex", "closure_reason"} {
		get("/api/v1/indicators?period=month&breakdown=" + by)
	}
	var set struct {
		Signed []byte `json:"signed"`
	}
	latest := latestSetPath
	if err := unmarshal(get(latest), &set); err != nil || len(set.Signed) == 0 {
		t.Errorf("the newest set has no signed bytes (%v)", err)
	}
	out[latest+" (signed bytes)"] = set.Signed
	maps.Copy(out, coordinatorPages(t, e))
	return out
}

// coordinatorPages signs in to the coordinator's pages as the coordinator
// user, through the code flow of the coordinator's identity provider as a
// browser does (a cookie jar, the provider's login form), and returns each
// page and CSV export, with the timelines of the cases the list shows.
func coordinatorPages(t *testing.T, e sandbox.Endpoints) map[string][]byte {
	t.Helper()
	var user sandbox.User
	for _, u := range e.Users {
		if u.Role == "coordinator" {
			user = u
		}
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	read := func(resp *http.Response, err error) (*http.Response, []byte) {
		t.Helper()
		if err != nil {
			t.Errorf("coordinator's pages: %v", err)
			return nil, nil
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Errorf("coordinator's pages: %v", err)
		}
		return resp, body
	}
	resp, login := read(browser.Get(e.Coordinator.URL + "/login?provider=" + url.QueryEscape(user.Country) + "&return=%2Fcases"))
	form := regexp.MustCompile(`<form method="post" action="([^"]+)"`).FindSubmatch(login)
	id := regexp.MustCompile(`name="authRequestID" value="([^"]+)"`).FindSubmatch(login)
	if resp == nil || form == nil || id == nil {
		t.Errorf("signing in to the coordinator's pages as %q did not reach the provider's login form", user.Username)
		return nil
	}
	action, err := resp.Request.URL.Parse(html.UnescapeString(string(form[1])))
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = read(browser.PostForm(action.String(), url.Values{
		"authRequestID": {html.UnescapeString(string(id[1]))}, "username": {user.Username}, "password": {user.Password},
	}))
	if resp == nil || resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/cases" {
		t.Errorf("signing in to the coordinator's pages as %q did not end on the case list", user.Username)
		return nil
	}
	out := map[string][]byte{}
	get := func(path string) []byte {
		resp, body := read(browser.Get(e.Coordinator.URL + path))
		if resp != nil && resp.StatusCode != http.StatusOK {
			t.Errorf("the coordinator's page %s: %d", path, resp.StatusCode)
		}
		out["page "+path] = body
		return body
	}
	list := get("/cases")
	timelines := regexp.MustCompile(`href="(/cases/[^"?#]+)"`).FindAllSubmatch(list, 20)
	if len(timelines) == 0 {
		t.Error("the coordinator's case list links to no case")
	}
	for _, m := range timelines {
		get(html.UnescapeString(string(m[1])))
	}
	for _, path := range []string{"/overdue", "/members", "/indicators", "/targets", "/report",
		"/cases.csv", "/overdue.csv", "/indicators.csv"} {
		get(path)
	}
	return out
}

// jsonBytes keeps a response body as it came.
type jsonBytes []byte

func (b *jsonBytes) UnmarshalJSON(data []byte) error {
	*b = append((*b)[:0], data...)
	return nil
}

func unmarshal(data []byte, v any) error {
	if len(data) == 0 {
		return errors.New("no response")
	}
	return json.Unmarshal(data, v)
}
