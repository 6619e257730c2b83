package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// exportBatch is how many cases one query of an export reads.
const exportBatch = 1000

// formulaStarts are the characters with which a spreadsheet takes a cell
// for a formula (or, for TAB and CR, may after trimming it).
const formulaStarts = "=+-@\t\r"

// cell makes s safe to open in a spreadsheet: a value that a spreadsheet
// would run as a formula gets a leading apostrophe, which shows it as
// text. Every exported value goes through it, codes and numbers included,
// so that no future column can forget to.
func cell(s string) string {
	if s != "" && strings.ContainsRune(formulaStarts, rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvWriter writes rows of cells, each made safe.
type csvWriter struct {
	w *csv.Writer
}

// startCSV answers with a CSV attachment named filename and returns its
// writer. The columns are the JSON API's field names and codes, in no
// language, for statisticians to join with their own tables.
func startCSV(w http.ResponseWriter, filename string) csvWriter {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "no-store")
	return csvWriter{w: csv.NewWriter(w)}
}

func (c csvWriter) row(cells ...string) {
	safe := make([]string, len(cells))
	for i, s := range cells {
		safe[i] = cell(s)
	}
	_ = c.w.Write(safe) // a client gone away is the only failure
}

func (c csvWriter) flush() { c.w.Flush() }

var caseHeader = []string{
	"case_ref", "sender_member", "sender_agency", "recipient_member", "recipient_agency", "latest_milestone",
	"opened_at", "updated_at", "days_since_last_step", "sector", "age_band", "sex", "referrals",
	"due_step", "due_at", "overdue", "days_overdue",
}

func caseCells(c coordinator.CaseSummary) []string {
	return []string{
		c.CaseRef, c.SenderMember, c.SenderAgency, c.RecipientMember, c.RecipientAgency, c.LatestMilestone,
		timeCell(c.OpenedAt), timeCell(c.UpdatedAt), strconv.Itoa(c.DaysSinceLastStep), c.Sector, c.AgeBand, c.Sex,
		strconv.Itoa(c.Referrals), string(c.DueStep), timeCell(c.DueAt), strconv.FormatBool(c.Overdue),
		strconv.Itoa(c.DaysOverdue),
	}
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// exportCases answers GET /cases.csv: every case the list's filters select.
func (s *Site) exportCases(w http.ResponseWriter, r *http.Request) {
	f, err := coordinator.ParseCaseFilter(filtersOf(r.URL.Query(), caseFilterKeys), exportBatch)
	if err != nil {
		s.ui.Error(w, r, http.StatusBadRequest)
		return
	}
	now := s.cfg.Now()
	s.exportCaseRows(w, r, "cases.csv", func() ([]coordinator.CaseSummary, bool, error) {
		page, err := coordinator.ListCases(r.Context(), s.cfg.DB, f, now)
		if err != nil {
			return nil, false, err
		}
		f.Before = page.Next
		return page.Items, page.Next != nil, nil
	})
}

// exportOverdue answers GET /overdue.csv: every overdue case, most overdue
// first.
func (s *Site) exportOverdue(w http.ResponseWriter, r *http.Request) {
	f, err := coordinator.ParseOverdueFilter(filtersOf(r.URL.Query(), overdueFilterKeys), exportBatch)
	if err != nil {
		s.ui.Error(w, r, http.StatusBadRequest)
		return
	}
	now := s.cfg.Now()
	s.exportCaseRows(w, r, "overdue.csv", func() ([]coordinator.CaseSummary, bool, error) {
		page, err := coordinator.ListOverdue(r.Context(), s.cfg.DB, f, now)
		if err != nil {
			return nil, false, err
		}
		f.Before = page.Next
		return page.Items, page.Next != nil, nil
	})
}

// exportCaseRows writes the cases next yields, a batch at a time, until it
// says no more follow. The first batch is read before answering, so that a
// database failure still gets its error page.
func (s *Site) exportCaseRows(w http.ResponseWriter, r *http.Request, filename string, next func() ([]coordinator.CaseSummary, bool, error)) {
	items, more, err := next()
	if err != nil {
		s.ui.Fail(w, r, unavailable(err))
		return
	}
	out := startCSV(w, filename)
	out.row(caseHeader...)
	for {
		for _, c := range items {
			out.row(caseCells(c)...)
		}
		if !more {
			break
		}
		if items, more, err = next(); err != nil {
			// The answer has begun: all that can be done is to cut it
			// short, which the client sees as a failed download.
			s.cfg.Logger.ErrorContext(r.Context(), "export "+filename, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	out.flush()
}
