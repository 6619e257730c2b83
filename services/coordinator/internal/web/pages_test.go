package web_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

// seed stores three cases: one overdue on its decision with a delivered
// webhook notice and a failed e-mail, one re-referred to another agency
// after a decline, and one sent an hour ago.
func seed(t *testing.T, s *site) {
	t.Helper()
	late := ev("case-late", "ref-late", "referral_sent", "CI", s.now.Add(-10*day))
	late.IdentifiedAt = s.now.Add(-12 * day)
	first := ev("case-again", "ref-first", "referral_sent", "CI", s.now.Add(-20*day))
	declined := ev("case-again", "ref-first", "referral_declined", "BF", s.now.Add(-19*day))
	second := ev("case-again", "ref-second", "referral_sent", "CI", s.now.Add(-18*day))
	second.RecipientAgency, second.PreviousReferralID = "BF-REFUGE", "ref-first"
	accepted := ev("case-again", "ref-second", "referral_accepted", "BF", s.now.Add(-17*day))
	accepted.RecipientAgency = "BF-REFUGE"
	recent := ev("case-recent", "ref-recent", "referral_sent", "CI", s.now.Add(-time.Hour))
	recent.Sector, recent.AgeBand = "C", "15-17"
	s.store(late, first, declined, second, accepted, recent)
	// The notices the notifier would have queued and tried.
	if _, err := s.pool.Exec(t.Context(), `
		INSERT INTO coordinator_notifications (case_ref, referral_id, step, due_at, sender_member, recipient_member,
			member, agency, channel, target, status, attempts, delivered_at)
		SELECT case_ref, referral_id, due_step, due_at, sender_member, recipient_member, 'BF', 'BF-DPE', ch, tg, st, n, d
		FROM coordinator_cases,
			(VALUES ('webhook', 'https://bf.example/hook', 'delivered', 1, now()),
			        ('email', 'alerts@bf.example', 'failed', 8, NULL::timestamptz)) AS v(ch, tg, st, n, d)
		WHERE case_ref = 'case-late'`); err != nil {
		t.Fatal(err)
	}
}

// A coordinator sees every page: the case list filtered and paged, a
// case's timeline across its referrals, the overdue list with its notices,
// and the members' freshness.
func TestCoordinatorPages(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seed(t, s)
	const who, en = "coordinator", "en"

	t.Run("home goes to the case list", func(t *testing.T) {
		r := s.mustGet(who, en, "/", http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/cases" {
			t.Errorf("Location = %q, want /cases", loc)
		}
	})
	t.Run("case list", func(t *testing.T) {
		r := s.mustGet(who, en, "/cases", http.StatusOK)
		accessible(t, "case list", r.body)
		contains(t, "case list", r.body, "<h1>Cross-border cases</h1>", "<caption>3 cases", "case-late", "case-again",
			"case-recent", `href="/cases/case-late"`, "Côte d’Ivoire → Burkina Faso", "12–14 years", "A – ",
			"7 days overdue", "2 referrals", `<label for="f-milestone">`, "Download as CSV",
			`<a href="/cases" aria-current="page">Cases</a>`, `<a href="/indicators">Indicators</a>`, `<a href="/report">Review report</a>`)
		// The most recently active first.
		if a, b := strings.Index(r.body, "case-recent"), strings.Index(r.body, "case-late"); a > b {
			t.Error("case-recent is not listed before case-late")
		}
		r = s.mustGet(who, en, "/cases?overdue=true", http.StatusOK)
		contains(t, "overdue filter", r.body, "<caption>1 case", "case-late")
		lacks(t, "overdue filter", r.body, "case-recent")
		r = s.mustGet(who, en, "/cases?sector=C&age_band=15-17", http.StatusOK)
		contains(t, "sector filter", r.body, "case-recent")
		lacks(t, "sector filter", r.body, "case-late", "case-again")
	})
	t.Run("paging", func(t *testing.T) {
		seen := map[string]bool{}
		path := "/cases?limit=1&recipient_member=BF"
		for range 3 {
			r := s.mustGet(who, en, path, http.StatusOK)
			m := regexp.MustCompile(`href="/cases/([a-z-]+)"`).FindAllStringSubmatch(r.body, -1)
			if len(m) != 1 {
				t.Fatalf("%s lists %d cases, want 1", path, len(m))
			}
			seen[m[0][1]] = true
			next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(r.body)
			if next == nil {
				break
			}
			path = htmlUnescape(next[1])
			if !strings.Contains(path, "recipient_member=BF") {
				t.Errorf("next page %s forgets the filter", path)
			}
		}
		if len(seen) != 3 {
			t.Errorf("pages showed %v, want the 3 cases", seen)
		}
	})
	t.Run("timeline with a re-referral", func(t *testing.T) {
		r := s.mustGet(who, en, "/cases/case-again", http.StatusOK)
		accessible(t, "case page", r.body)
		contains(t, "case page", r.body, "<h1>Case case-again</h1>", "ref-first", "ref-second", "BF-REFUGE",
			"Referral declined", "Referral accepted", "Re-referral after ref-first", "Referrals under this case",
			"Cross-border timeline", `<time datetime="`)
		// Oldest milestone first.
		if a, b := strings.Index(r.body, "<strong>Referral declined"), strings.Index(r.body, "<strong>Referral accepted"); a < 0 || b < 0 || a > b {
			t.Error("the timeline is not in order")
		}
		r = s.mustGet(who, en, "/cases/case-late", http.StatusOK)
		contains(t, "late case", r.body, "Decision due by", "7 days overdue", "Identified on")
	})
	t.Run("overdue list with notices", func(t *testing.T) {
		r := s.mustGet(who, en, "/overdue", http.StatusOK)
		accessible(t, "overdue list", r.body)
		contains(t, "overdue list", r.body, "<h1>Overdue steps</h1>", "<caption>1 overdue step", "case-late",
			"Decision", "BF-DPE, Burkina Faso", "Webhook to BF-DPE: delivered on", "E-mail to BF-DPE: failed after 8 attempts")
		lacks(t, "overdue list", r.body, "case-recent", "case-again", "bf.example")
		r = s.mustGet(who, en, "/overdue?step=handover", http.StatusOK)
		contains(t, "handover filter", r.body, "No step is overdue.")
	})
	t.Run("members' freshness", func(t *testing.T) {
		r := s.mustGet(who, en, "/members", http.StatusOK)
		accessible(t, "members", r.body)
		contains(t, "members", r.body, "<caption>Last event received from each member", "Côte d’Ivoire", "Burkina Faso",
			"Ghana", "Never", "Out of contact", "In contact", "72 hours")
		lacks(t, "members", r.body, "Economic Community") // the coordinator is not a reporting member
	})
	t.Run("a coordinator of a member country", func(t *testing.T) {
		s.mustGet("ci-coordinator", en, "/overdue", http.StatusOK)
	})
}

var ownInput = regexp.MustCompile(`href="/lang\?[^"]*"|<input id="f-(from|to)" name="(from|to)" type="text" value="[^"]*"`)

func htmlUnescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }

// Anyone the policy does not let see the coordinator's views (a case
// worker, a country administrator or auditor) gets the 403 page, which
// shows no case and no coordinator navigation; anyone not signed in is
// sent to sign in.
func TestPagesRefuseOthers(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seed(t, s)
	for _, path := range []string{"/", "/cases", "/cases/case-late", "/overdue", "/members", "/cases.csv", "/overdue.csv",
		"/indicators", "/indicators.csv", "/targets", "/report"} {
		for _, who := range []string{"bf-caseworker", "bf-admin"} {
			r := s.mustGet(who, "en", path, http.StatusForbidden)
			contains(t, path, r.body, "You do not have access")
			lacks(t, path, r.body, "Referral sent", "Burkina Faso", "BF-DPE", `href="/cases"`)
			if r.header.Get("Content-Security-Policy") == "" {
				t.Errorf("%s: the 403 page has no security headers", path)
			}
		}
		s.mustGet("", "en", path, http.StatusUnauthorized)
	}
}

// The pages speak French and English, by the browser's choice.
func TestPagesSpeakFrenchAndEnglish(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seed(t, s)
	for _, tc := range []struct {
		path, lang string
		want       []string
	}{
		{"/cases", "fr-BF,fr;q=0.9", []string{`lang="fr"`, "Dossiers transfrontaliers", "Côte d’Ivoire → Burkina Faso", "7 jours de retard", "Tranche d&#39;âge"}},
		{"/cases", "en-GB", []string{`lang="en"`, "Cross-border cases", "7 days overdue", "Age band"}},
		{"/cases/case-again", "fr", []string{"Signalement refusé", "Nouveau signalement après ref-first"}},
		{"/overdue", "fr", []string{"Étapes en retard", "Webhook à BF-DPE : remise le", "échec après 8 tentatives"}},
		{"/overdue", "en", []string{"Overdue steps", "E-mail to BF-DPE"}},
		{"/members", "fr", []string{"Fraîcheur des membres", "Hors contact", "Jamais"}},
	} {
		r := s.mustGet("coordinator", tc.lang, tc.path, http.StatusOK)
		contains(t, tc.path+" in "+tc.lang, r.body, tc.want...)
		lacks(t, tc.path+" in "+tc.lang, r.body, "coord.") // no message id shown for a missing message
	}
}

// A bad filter gets the list again with an error summary, an unknown case
// the 404 page: never a 500.
func TestBadQueriesGetAPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/cases?milestone=nope&limit=0", http.StatusBadRequest, `href="#f-milestone"`},
		{"/cases?before=garbage", http.StatusBadRequest, `href="#f-before"`},
		{"/cases?overdue=maybe", http.StatusBadRequest, `href="#f-overdue"`},
		{"/overdue?step=nap", http.StatusBadRequest, `href="#f-step"`},
		{"/cases.csv?sector=%00", http.StatusBadRequest, "The request was not understood"},
		{"/cases/no-such-case", http.StatusNotFound, "Page not found"},
		{"/cases/" + url.PathEscape("<script>"), http.StatusNotFound, "Page not found"},
		{"/indicators?period=week", http.StatusBadRequest, `href="#f-period"`},
		{"/indicators?direction=CI-XX&from=2026-13", http.StatusBadRequest, `href="#f-direction"`},
		{"/indicators?breakdown=name", http.StatusBadRequest, `href="#f-breakdown"`},
		{"/indicators.csv?period=week", http.StatusBadRequest, "The request was not understood"},
		{"/targets?from=2026-12&to=2026-01", http.StatusBadRequest, `href="#f-from"`},
		{"/report?from=1999-01", http.StatusBadRequest, `href="#f-from"`},
	} {
		r := s.mustGet("coordinator", "en", tc.path, tc.status)
		contains(t, tc.path, r.body, tc.want)
	}
}

// Every exported cell a spreadsheet would run as a formula is shown as
// text, whatever reached the database.
func TestCSVCannotInjectFormulas(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seed(t, s)
	// Values no validated event has, stored as if they had got past
	// validation: the export must not trust the database either.
	hostile := []string{`=HYPERLINK("http://evil.example","x")`, "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", `=cmd|' /C calc'!A0`}
	for i, h := range hostile {
		e := ev("case-hostile-"+string(rune('a'+i)), "ref-hostile-"+string(rune('a'+i)), "referral_sent", "CI", s.now.Add(-30*day))
		e.SenderAgency, e.RecipientAgency = h, h
		s.store(e)
	}
	for _, path := range []string{"/cases.csv", "/overdue.csv", "/cases.csv?overdue=true&limit=1&before=x"} {
		r := s.get("coordinator", "en", path)
		if path == "/cases.csv?overdue=true&limit=1&before=x" {
			// The export reads the filters, not the page's position.
			if r.status != http.StatusOK {
				t.Fatalf("%s: status %d", path, r.status)
			}
		}
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("%s: Content-Disposition %q", path, cd)
		}
		rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(rows) < 1+len(hostile) || rows[0][0] != "case_ref" {
			t.Fatalf("%s: %d rows, header %v", path, len(rows), rows[0])
		}
		quoted := 0
		for _, row := range rows {
			for _, c := range row {
				if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
					t.Errorf("%s: cell %q would run as a formula", path, c)
				}
				if strings.HasPrefix(c, "'") {
					quoted++
				}
			}
		}
		if quoted < 2*len(hostile) {
			t.Errorf("%s: %d cells kept as text, want at least %d", path, quoted, 2*len(hostile))
		}
	}
	// The whole list, past one batch of the export's pages, in order.
	r := s.mustGet("coordinator", "en", "/cases.csv?sender_member=CI", http.StatusOK)
	if n := strings.Count(r.body, "\n"); n != 1+3+len(hostile) {
		t.Errorf("export has %d lines, want %d", n, 1+3+len(hostile))
	}
}

// The pages and exports show nothing of what a request carries beyond the
// codes they know: a marker planted in every input a person controls
// (path, filters, paging, language) appears in no answer. The coordinator
// stores no personal data by construction (codes and dates only), so these
// inputs are the only way one could reach a page.
func TestNoPersonalDataReachesThePages(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seed(t, s)
	const marker = "AMINATA MARKER OUÉDRAOGO" // a name, as casework would hold it
	q := url.QueryEscape(marker)
	for _, path := range []string{
		"/cases?milestone=" + q, "/cases?sender_member=" + q, "/cases?sector=" + q + "&age_band=" + q,
		"/cases?before=" + q, "/cases?limit=" + q, "/cases/" + q, "/overdue?step=" + q, "/overdue?before=" + q,
		"/members?q=" + q, "/cases.csv?milestone=" + q, "/overdue.csv?step=" + q, "/cases.csv", "/overdue.csv",
		"/indicators?direction=" + q + "&breakdown=" + q, "/indicators.csv", "/indicators.csv?from=" + q,
		"/targets?from=" + q, "/report", "/report?period=" + q,
	} {
		r := s.get("coordinator", marker, path)
		if r.status >= 500 {
			t.Errorf("%s: status %d", path, r.status)
		}
		// The language switcher links back to the page's own address, and
		// a form shows what was typed in it again: the person's own input,
		// theirs to see.
		body := ownInput.ReplaceAllString(r.body, "")
		// Its first word, so that an escaped copy (AMINATA+MARKER…) counts.
		if strings.Contains(strings.ToUpper(body), "AMINATA") {
			t.Errorf("%s shows the marker", path)
		}
		for k, vs := range r.header {
			for _, v := range vs {
				if strings.Contains(strings.ToUpper(v), "AMINATA") {
					t.Errorf("%s: header %s shows the marker", path, k)
				}
			}
		}
	}
	var n int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM coordinator_cases`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("cases = %d, %v", n, err)
	}
}

// The structure check catches each fault it looks for.
func TestAccessibilityProblems(t *testing.T) {
	t.Parallel()
	good := `<h1>A</h1><h2>B</h2><h3>C</h3><h2>D</h2><label for="f-x">X</label><select id="f-x"></select><table><caption>T</caption></table>`
	if p := accessibilityProblems(good); len(p) > 0 {
		t.Errorf("good page: %v", p)
	}
	for _, bad := range []string{
		`<h1>A</h1><h3>C</h3>`,
		`<h2>B</h2>`,
		`<h1>A</h1><h1>B</h1>`,
		`<h1>A</h1><input id="f-y" name="y">`,
		`<h1>A</h1><table><tr><td>1</td></tr></table>`,
	} {
		if len(accessibilityProblems(bad)) == 0 {
			t.Errorf("no problem found in %s", bad)
		}
	}
}
