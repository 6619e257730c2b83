package web_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/webui/webuitest"
)

// seedIndicators adds to seed six referrals from CI to BF sent two days
// ago: ten referrals sent in the quarter, enough to be shown, of which one
// accepted and one declined, which are not.
func seedIndicators(t *testing.T, s *site) {
	t.Helper()
	seed(t, s)
	for i := range 6 {
		ref := fmt.Sprintf("case-more-%d", i)
		sent := ev(ref, "ref-"+ref, "referral_sent", "CI", s.now.Add(-2*day))
		sent.IdentifiedAt = s.now.Add(-3 * day)
		s.store(sent)
	}
}

// section is the part of body from the element with id to the end of
// the table that follows it: a chart and its data table.
func section(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element %s", id)
	}
	j := strings.Index(body[i:], "</table>")
	if j < 0 {
		t.Fatalf("no table after %s", id)
	}
	return body[i : i+j]
}

// The indicators page draws each figure as an SVG chart followed by its
// data table; a suppressed cell is the word, never its number, in the
// chart and in the table.
func TestIndicatorsPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seedIndicators(t, s)
	r := s.mustGet("coordinator", "en", "/indicators", http.StatusOK)
	accessible(t, "indicators", r.body)
	contains(t, "indicators", r.body, "<h1>Joint indicators</h1>", `<svg class="chart" id="chart-referred"`, `role="img"`,
		`aria-labelledby="chart-referred-title chart-referred-desc"`, "<title id=\"chart-referred-title\">Referrals sent</title>",
		"Every direction", "2026-Q4", "suppressed", "Median", "90th percentile", "Download as CSV")
	lacks(t, "indicators", r.body, "<script")

	referred := section(t, r.body, "chart-referred")
	contains(t, "referrals sent", referred, "<caption>Referrals sent by period, Every direction</caption>",
		`<td class="num">10</td>`, `<rect class="bar"`)
	// Accepted once, declined once: hidden, in the chart as in the table.
	for _, id := range []string{"chart-accepted", "chart-declined"} {
		sec := section(t, r.body, id)
		contains(t, id, sec, `<td class="num suppressed">suppressed</td>`, `<rect class="hatch"`, `class="suppressed"`)
		lacks(t, id, sec, `<td class="num">1</td>`, `>1</text>`)
	}
	// The scorecard and durations have their charts and tables too.
	for _, id := range []string{"chart-scorecard", "chart-referral_to_decision", "chart-identification_to_referral"} {
		sec := section(t, r.body, id)
		contains(t, id, sec, "<title", "<desc", "<table", "<caption>")
	}

	r = s.mustGet("coordinator", "en", "/indicators?breakdown=sector&period=month&from=2026-10&to=2026-11&direction=CI-BF", http.StatusOK)
	accessible(t, "indicators by sector", r.body)
	contains(t, "by sector", r.body, "Referrals sent by Sector (ISIC) and period", "2026-10", "2026-11", "Côte d’Ivoire → Burkina Faso")
	lacks(t, "by sector", r.body, "2026-09", "2026-12")

	r = s.mustGet("coordinator", "fr", "/indicators", http.StatusOK)
	contains(t, "indicators in French", r.body, "Indicateurs conjoints", "Signalements envoyés", `<td class="num suppressed">masqué</td>`)
}

// The export of the indicators has every figure, suppressed cells marked
// and without a value: no count from 1 to 4 is ever written.
func TestIndicatorsExport(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seedIndicators(t, s)
	for _, path := range []string{"/indicators.csv", "/indicators.csv?breakdown=sector", "/indicators.csv?period=month&breakdown=age_band"} {
		r := s.mustGet("coordinator", "en", path, http.StatusOK)
		rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		head := rows[0]
		col := func(name string) int {
			for i, h := range head {
				if h == name {
					return i
				}
			}
			t.Fatalf("%s: no column %s in %v", path, name, head)
			return -1
		}
		value, suppressed, table := col("value"), col("suppressed"), col("table")
		var hidden, shown int
		for _, row := range rows[1:] {
			if row[table] != "counts" {
				continue
			}
			if row[suppressed] == "true" {
				hidden++
				if row[value] != "" {
					t.Errorf("%s: suppressed cell with value %q: %v", path, row[value], row)
				}
				continue
			}
			shown++
			n, err := strconv.Atoi(row[value])
			if err != nil || (n >= 1 && n <= 4) {
				t.Errorf("%s: published count %q: %v", path, row[value], row)
			}
		}
		if hidden == 0 || shown == 0 {
			t.Errorf("%s: %d hidden and %d shown counts, want some of each", path, hidden, shown)
		}
	}
}

// The targets page shows the progress against each of the directory's
// targets, per period, as a chart with the target's line and a table.
func TestTargetsPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seedIndicators(t, s)
	r := s.mustGet("coordinator", "en", "/targets", http.StatusOK)
	accessible(t, "targets", r.body)
	contains(t, "targets", r.body, "<h1>Joint targets</h1>", "90 % of referrals decided within the limit",
		"Nine referrals in ten decided within the limit", `<svg class="chart" id="chart-target-1"`, `class="target"`,
		"target 90 %", "<caption>Progress by period: ", "2026-Q4", "2026-Q1")
	sec := section(t, r.body, "chart-target-1")
	contains(t, "target 1", sec, "<table", "Reached")
	r = s.mustGet("coordinator", "fr", "/targets?from=2026-01&to=2026-12", http.StatusOK)
	contains(t, "targets in French", r.body, "Cibles conjointes", "90 % des signalements décidés dans le délai")
}

// The report puts the figures, the targets, the overdue steps and the
// members' freshness on one page, with a style sheet for paper.
func TestReportPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seedIndicators(t, s)
	r := s.mustGet("coordinator", "en", "/report?period=quarter&from=2026-01&to=2026-12", http.StatusOK)
	accessible(t, "report", r.body)
	contains(t, "report", r.body, "<h1>Joint review report</h1>", "Corridor ci-bf", "Quarters from 2026-Q1 to 2026-Q4",
		"Drawn up on 20 November 2026", `id="r-indicators"`, `id="r-targets"`, `id="r-overdue"`, `id="r-members"`,
		`id="chart-referred"`, `id="chart-target-1"`, "case-late", "Webhook to BF-DPE", "Ghana")
	// The report's own style sheet, under its hashed name, lays it out for
	// paper.
	i := strings.Index(r.body, `href="/static/coordinator.`)
	if i < 0 {
		t.Fatal("the report does not link the coordinator's style sheet")
	}
	href := r.body[i+len(`href="`):]
	href = href[:strings.Index(href, `"`)]
	css := s.mustGet("", "", href, http.StatusOK)
	contains(t, "coordinator.css", css.body, "@media print", "break-before: page", ".report section")
	r = s.mustGet("coordinator", "fr", "/report", http.StatusOK)
	contains(t, "report in French", r.body, "Rapport de revue conjointe", "Établi le 20 novembre 2026")
}

// Every page, the report with all its charts included, stays within the
// kit's budget for a slow link: its HTML, style sheets and scripts, as
// compressed on the wire.
func TestPagesWithinBudget(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	seedIndicators(t, s)
	for _, path := range []string{"/cases", "/cases/case-again", "/overdue", "/members",
		"/indicators?period=month&breakdown=sector", "/targets", "/report?period=month"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set(userHeader, "coordinator")
		n := webuitest.Weight(t, s.h, req)
		t.Logf("%s: %d bytes", path, n)
		if n > webuitest.Budget {
			t.Errorf("%s weighs %d bytes compressed, over the budget of %d", path, n, webuitest.Budget)
		}
	}
}
