package web

import (
	"net/http"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// reportOverdue is how many overdue steps the report lists, the most
// overdue first; the overdue page and its export have them all.
const reportOverdue = 100

// reportData is the joint review report: the figures of one range of
// periods, the progress against the targets over it, what is overdue and
// each member's freshness, on one page made for printing.
type reportData struct {
	Corridor, Range, Generated string
	Filters                    indicatorsData
	Indicators                 indicatorsData
	Targets                    targetsData
	Overdue                    overdueData
	OverdueMore                bool
	Members                    membersData
}

// serveReport is the printable report for a joint review meeting.
func (s *Site) serveReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := s.ui.NewView(r, "coord.report.title", nil)
	v.Form = q
	dir, err := s.cfg.Directory.Current(r.Context())
	if err != nil {
		s.ui.Fail(w, r, &corridor.Error{Kind: corridor.KindUnavailable, Message: "The corridor directory cannot be read.", Err: err})
		return
	}
	data := reportData{Filters: indicatorsData{Locale: v.Locale, Filters: s.indicatorFilters(v, dir)}}
	iq, err := coordinator.ParseIndicatorQuery(filtersOf(q, indicatorKeys), dir, s.cfg.Now())
	if err != nil {
		v.SetError(err)
		v.Data = data
		s.ui.Render(w, r, http.StatusBadRequest, s.report, v)
		return
	}
	if data.Indicators, err = s.loadIndicators(r, v, dir, iq); err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	data.Targets = targetsData{Locale: v.Locale}
	if data.Targets.Targets, err = s.loadTargets(r, v, dir, iq.From, iq.To); err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	page, err := coordinator.ListOverdue(r.Context(), s.cfg.DB, coordinator.OverdueFilter{Limit: reportOverdue}, s.cfg.Now())
	if err != nil {
		s.ui.Fail(w, r, unavailable(err))
		return
	}
	data.Overdue = overdueData{Locale: v.Locale}
	if data.Overdue.Items, err = s.overdueRows(r, v, page.Items); err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	data.OverdueMore = page.Next != nil
	if data.Members, err = s.loadMembers(r, v); err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	last := iq.To.AddDate(0, -1, 0)
	data.Corridor = dir.Corridor
	data.Range = v.T("coord.report.range", "From", iq.Period.Label(iq.From), "To", iq.Period.Label(iq.Period.Start(last)),
		"Period", v.T("coord.period."+string(iq.Period)))
	data.Generated = v.DateTime(s.cfg.Now())
	v.Data = data
	s.ui.Render(w, r, http.StatusOK, s.report, v)
}
