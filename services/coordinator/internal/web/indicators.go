package web

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/webui"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// The indicators' filters, carried by their links and their export.
var indicatorKeys = []string{"period", "from", "to", "direction", "breakdown"}

// figure is one published figure in words: a suppressed one is the
// suppression marker, never a number.
type figure struct {
	Text       string
	Suppressed bool
}

// figureRow is a row of a figures table: its label and a figure per
// column.
type figureRow struct {
	Label   string
	Figures []figure
}

// figureTable is a table of figures with its caption and column heads.
type figureTable struct {
	Caption string
	// Corner heads the rows' labels.
	Corner  string
	Columns []string
	Rows    []figureRow
}

// chartWithTable is a chart followed by the table of its figures.
type chartWithTable struct {
	Chart chart
	Table figureTable
}

// indicatorsData is what the indicators page (and the report) shows.
type indicatorsData struct {
	*webui.Locale
	Filters   []webui.Field
	Direction string
	// Counts has a chart and table per counted step; Breakdowns a table
	// per counted step by the chosen breakdown.
	Counts     []chartWithTable
	Breakdowns []figureTable
	Durations  []chartWithTable
	Scorecard  chartWithTable
	CSV        string
}

// loadIndicators computes the indicators of q's query and words them.
func (s *Site) loadIndicators(r *http.Request, v *webui.View, dir *directory.Directory, q coordinator.IndicatorQuery) (indicatorsData, error) {
	ind, err := coordinator.ComputeIndicators(r.Context(), s.cfg.DB, dir, q)
	if err != nil {
		return indicatorsData{}, unavailable(err)
	}
	var periods []string
	for p := q.From; p.Before(q.To); p = q.Period.Next(p) {
		periods = append(periods, q.Period.Label(p))
	}
	direction := q.Direction
	if direction == "" {
		direction = coordinator.AllDirections
	}
	d := indicatorsData{Locale: v.Locale, Direction: directionLabel(v, direction)}

	// Counts: a cell the release does not have is a zero (nothing
	// happened in that period).
	counts := map[[4]string]coordinator.CountCell{}
	categories := map[string][]string{}
	for _, c := range ind.Counts {
		if c.Direction != direction {
			continue
		}
		counts[[4]string{c.Indicator, c.Period, c.Breakdown, c.Category}] = c
		if c.Breakdown != "" && c.Indicator != "" {
			key := c.Indicator
			if !slices.Contains(categories[key], c.Category) {
				categories[key] = append(categories[key], c.Category)
			}
		}
	}
	countFigure := func(indicator, period, breakdown, category string) (figure, float64) {
		c, ok := counts[[4]string{indicator, period, breakdown, category}]
		switch {
		case !ok:
			return figure{Text: v.Number(0)}, 0
		case c.Suppressed || c.Value == nil:
			return figure{Text: v.T("coord.suppressed"), Suppressed: true}, 0
		}
		return figure{Text: v.Number(*c.Value)}, float64(*c.Value)
	}
	for _, ind := range coordinator.CountIndicators() {
		name := v.T("coord.indicator." + ind)
		table := figureTable{Caption: v.T("coord.indicators.count_caption", "Indicator", name, "Direction", d.Direction),
			Corner: v.T("coord.figure"), Columns: periods}
		row := figureRow{Label: v.T("coord.total")}
		var bars []chartBar
		for _, p := range periods {
			f, n := countFigure(ind, p, "", coordinator.TotalCategory)
			row.Figures = append(row.Figures, f)
			bars = append(bars, chartBar{Label: p, Value: n, Text: f.Text, Suppressed: f.Suppressed})
		}
		table.Rows = append(table.Rows, row)
		d.Counts = append(d.Counts, chartWithTable{
			Chart: newChart("chart-"+ind, name, v.T("coord.indicators.chart_desc", "Indicator", name, "Direction", d.Direction), bars, 0, 0, ""),
			Table: table,
		})
		if q.By != "" {
			bt := figureTable{Caption: v.T("coord.indicators.breakdown_caption", "Indicator", name, "Breakdown", v.T("field."+q.By)),
				Corner: v.T("field." + q.By), Columns: periods}
			for _, cat := range categories[ind] {
				if cat == coordinator.TotalCategory {
					continue
				}
				row := figureRow{Label: categoryLabel(v, q.By, cat)}
				for _, p := range periods {
					f, _ := countFigure(ind, p, q.By, cat)
					row.Figures = append(row.Figures, f)
				}
				bt.Rows = append(bt.Rows, row)
			}
			if len(bt.Rows) > 0 {
				d.Breakdowns = append(d.Breakdowns, bt)
			}
		}
	}

	// Durations: the median of each period charted, median and 90th
	// percentile in the table.
	durations := map[[2]string]coordinator.DurationCell{}
	for _, c := range ind.Durations {
		if c.Direction == direction && c.Breakdown == "" {
			durations[[2]string{c.Measure, c.Period}] = c
		}
	}
	for _, m := range coordinator.Measures() {
		name := v.T("coord.measure." + m)
		table := figureTable{Caption: v.T("coord.indicators.duration_caption", "Measure", name, "Direction", d.Direction),
			Corner: v.T("coord.figure"), Columns: periods}
		median, p90 := figureRow{Label: v.T("coord.median")}, figureRow{Label: v.T("coord.p90")}
		var bars []chartBar
		for _, p := range periods {
			c, ok := durations[[2]string{m, p}]
			mf, pf := durationFigure(v, ok, c.Suppressed, c.MedianHours), durationFigure(v, ok, c.Suppressed, c.P90Hours)
			median.Figures, p90.Figures = append(median.Figures, mf), append(p90.Figures, pf)
			bar := chartBar{Label: p, Text: mf.Text, Suppressed: mf.Suppressed}
			if ok && c.MedianHours != nil {
				bar.Value = float64(*c.MedianHours)
			}
			bars = append(bars, bar)
		}
		table.Rows = []figureRow{median, p90}
		d.Durations = append(d.Durations, chartWithTable{
			Chart: newChart("chart-"+m, name, v.T("coord.indicators.duration_desc", "Measure", name, "Direction", d.Direction), bars, 0, 0, ""),
			Table: table,
		})
	}

	// The scorecard: each member's share of steps within the limits, in
	// the last period charted, every period in the table.
	last := periods[len(periods)-1]
	score := figureTable{Caption: v.T("coord.indicators.score_caption"), Corner: v.T("coord.col.member"), Columns: periods}
	var bars []chartBar
	rows := map[string]int{}
	for _, c := range ind.Scorecard {
		key := c.Member + "|" + c.Step
		i, ok := rows[key]
		if !ok {
			i = len(score.Rows)
			rows[key] = i
			score.Rows = append(score.Rows, figureRow{
				Label:   v.T("coord.score.row", "Member", v.Country(c.Member), "Step", v.T("coord.step."+c.Step)),
				Figures: make([]figure, len(periods)),
			})
			for j := range periods {
				score.Rows[i].Figures[j] = figure{Text: v.T("coord.no_data")}
			}
		}
		j := slices.Index(periods, c.Period)
		if j < 0 {
			continue
		}
		f := shareFigure(v, c.Share, c.Suppressed)
		score.Rows[i].Figures[j] = f
		if c.Period == last {
			b := chartBar{Label: score.Rows[i].Label, Text: f.Text, Suppressed: f.Suppressed}
			if c.Share != nil {
				b.Value = *c.Share * 100
			}
			bars = append(bars, b)
		}
	}
	d.Scorecard = chartWithTable{
		Chart: newChart("chart-scorecard", v.T("coord.indicators.score_title", "Period", last),
			v.T("coord.indicators.score_desc", "Period", last), bars, 100, 0, ""),
		Table: score,
	}
	return d, nil
}

// durationFigure words a duration in hours: hours under two days, whole
// days beyond.
func durationFigure(v *webui.View, ok, suppressed bool, hours *int64) figure {
	switch {
	case suppressed:
		return figure{Text: v.T("coord.suppressed"), Suppressed: true}
	case !ok || hours == nil:
		return figure{Text: v.T("coord.no_data")}
	case *hours < 48:
		return figure{Text: v.T("coord.hours_short", "Count", *hours)}
	}
	return figure{Text: v.T("coord.days_short", "Count", int64(math.Round(float64(*hours)/24)))}
}

// shareFigure words a share as a percentage.
func shareFigure(v *webui.View, share *float64, suppressed bool) figure {
	switch {
	case suppressed:
		return figure{Text: v.T("coord.suppressed"), Suppressed: true}
	case share == nil:
		return figure{Text: v.T("coord.no_data")}
	}
	return figure{Text: v.T("coord.percent", "Value", strconv.Itoa(int(math.Round(*share*100))))}
}

// directionLabel words a direction "CI-BF" (or every direction).
func directionLabel(v *webui.View, d string) string {
	if d == coordinator.AllDirections {
		return v.T("coord.direction.all")
	}
	from, to, _ := strings.Cut(d, "-")
	return v.T("coord.pair", "From", v.Country(from), "To", v.Country(to))
}

// categoryLabel words a breakdown's category.
func categoryLabel(v *webui.View, breakdown, category string) string {
	switch breakdown {
	case "sector":
		if category == "" || category == "unknown" {
			return v.T("coord.not_reported")
		}
		return sectorLabel(v, category)
	case "age_band":
		return ageBandLabel(v, category)
	case "sex":
		return v.T("coord.sex." + orUnknown(category))
	case "closure_reason":
		return v.Code("closure_reason", category)
	}
	return category
}

// indicatorFilters are the indicators' filter fields.
func (s *Site) indicatorFilters(v *webui.View, dir *directory.Directory) []webui.Field {
	var periods []webui.Option
	for _, p := range []coordinator.Period{coordinator.PeriodMonth, coordinator.PeriodQuarter, coordinator.PeriodYear} {
		periods = append(periods, webui.Option{Code: string(p), Label: v.T("coord.period." + string(p))})
	}
	var directions []webui.Option
	if dir != nil {
		for _, a := range dir.Members {
			for _, b := range dir.Members {
				if a.Code == b.Code || a.Code == corridor.Coordinator || b.Code == corridor.Coordinator {
					continue
				}
				code := string(a.Code) + "-" + string(b.Code)
				directions = append(directions, webui.Option{Code: code, Label: directionLabel(v, code)})
			}
		}
	}
	var breakdowns []webui.Option
	for _, b := range coordinator.Breakdowns() {
		breakdowns = append(breakdowns, webui.Option{Code: b, Label: v.T("field." + b)})
	}
	period := v.Field("period").WithOptions(periods)
	period.Prompt = v.T("coord.period.default")
	direction := v.Field("direction").WithOptions(directions)
	direction.Prompt = v.T("coord.direction.all")
	breakdown := v.Field("breakdown").WithOptions(breakdowns)
	breakdown.Prompt = v.T("coord.breakdown.none")
	return []webui.Field{
		period, v.Field("from").WithHint(v.T("coord.month_hint")), v.Field("to").WithHint(v.T("coord.month_hint")),
		direction, breakdown,
	}
}

// serveIndicators is the joint indicators: counts, durations and the
// scorecard, each chart followed by its table.
func (s *Site) serveIndicators(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := s.ui.NewView(r, "coord.indicators.title", nil)
	v.Form = q
	dir, err := s.cfg.Directory.Current(r.Context())
	if err != nil {
		s.ui.Fail(w, r, &corridor.Error{Kind: corridor.KindUnavailable, Message: "The corridor directory cannot be read.", Err: err})
		return
	}
	iq, err := coordinator.ParseIndicatorQuery(filtersOf(q, indicatorKeys), dir, s.cfg.Now())
	if err != nil {
		v.SetError(err)
		v.Data = indicatorsData{Locale: v.Locale, Filters: s.indicatorFilters(v, dir)}
		s.ui.Render(w, r, http.StatusBadRequest, s.indicators, v)
		return
	}
	data, err := s.loadIndicators(r, v, dir, iq)
	if err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	data.Filters = s.indicatorFilters(v, dir)
	data.CSV = pathIndicators + ".csv?" + filtersOf(q, indicatorKeys).Encode()
	v.Data = data
	s.ui.Render(w, r, http.StatusOK, s.indicators, v)
}

// exportIndicators answers GET /indicators.csv: every figure of the
// release, one per line, suppressed ones marked and without a value.
func (s *Site) exportIndicators(w http.ResponseWriter, r *http.Request) {
	dir, err := s.cfg.Directory.Current(r.Context())
	if err != nil {
		s.ui.Fail(w, r, &corridor.Error{Kind: corridor.KindUnavailable, Message: "The corridor directory cannot be read.", Err: err})
		return
	}
	iq, err := coordinator.ParseIndicatorQuery(filtersOf(r.URL.Query(), indicatorKeys), dir, s.cfg.Now())
	if err != nil {
		s.ui.Error(w, r, http.StatusBadRequest)
		return
	}
	ind, err := coordinator.ComputeIndicators(r.Context(), s.cfg.DB, dir, iq)
	if err != nil {
		s.ui.Fail(w, r, unavailable(err))
		return
	}
	out := startCSV(w, "indicators.csv")
	out.row("table", "indicator", "period", "direction", "member", "breakdown", "category", "value",
		"median_hours", "p90_hours", "share", "limit_hours", "suppressed")
	num := func(n *int64) string {
		if n == nil {
			return ""
		}
		return strconv.FormatInt(*n, 10)
	}
	for _, c := range ind.Counts {
		out.row("counts", c.Indicator, c.Period, c.Direction, "", c.Breakdown, c.Category, num(c.Value), "", "", "", "",
			strconv.FormatBool(c.Suppressed))
	}
	for _, c := range ind.Durations {
		out.row("durations", c.Measure, c.Period, c.Direction, "", c.Breakdown, c.Category, "", num(c.MedianHours),
			num(c.P90Hours), "", "", strconv.FormatBool(c.Suppressed))
	}
	for _, c := range ind.Scorecard {
		share := ""
		if c.Share != nil {
			share = strconv.FormatFloat(*c.Share, 'f', 4, 64)
		}
		out.row("scorecard", c.Step, c.Period, "", c.Member, "", "", "", "", "", share,
			strconv.FormatInt(c.LimitHours, 10), strconv.FormatBool(c.Suppressed))
	}
	out.flush()
}

// targetsData is what the targets page (and the report) shows: a chart
// and table per target.
type targetsData struct {
	*webui.Locale
	Filters []webui.Field
	Targets []targetSection
}

type targetSection struct {
	Title, Description string
	chartWithTable
}

// loadTargets computes the progress against every target in [from, to).
func (s *Site) loadTargets(r *http.Request, v *webui.View, dir *directory.Directory, from, to time.Time) ([]targetSection, error) {
	progress, err := coordinator.ComputeTargets(r.Context(), s.cfg.DB, dir, from, to)
	if err != nil {
		return nil, unavailable(err)
	}
	type building struct {
		section targetSection
		percent int
		bars    []chartBar
	}
	var all []*building
	byID := map[string]*building{}
	for _, p := range progress {
		t, ok := byID[p.Target.ID]
		if !ok {
			title := v.T("coord.target."+p.Target.Indicator, "Percent", p.Target.Percent, "Days", p.Target.WithinDays,
				"Period", v.T("coord.period."+p.Target.Period))
			t = &building{percent: p.Target.Percent, section: targetSection{Title: title, Description: p.Target.Description}}
			t.section.Table = figureTable{Caption: v.T("coord.targets.caption", "Target", title), Corner: v.T("coord.col.period"),
				Columns: []string{v.T("coord.targets.share"), v.T("coord.targets.status")}}
			byID[p.Target.ID] = t
			all = append(all, t)
		}
		f := shareFigure(v, p.Share, p.Suppressed)
		status := figure{Text: v.T("coord.no_data")}
		switch {
		case p.Suppressed:
			status = figure{Text: v.T("coord.suppressed"), Suppressed: true}
		case p.Met != nil && *p.Met:
			status = figure{Text: v.T("coord.targets.met")}
		case p.Met != nil:
			status = figure{Text: v.T("coord.targets.not_met")}
		}
		t.section.Table.Rows = append(t.section.Table.Rows, figureRow{Label: p.Period, Figures: []figure{f, status}})
		b := chartBar{Label: p.Period, Text: f.Text, Suppressed: f.Suppressed, Met: p.Met != nil && *p.Met}
		if p.Share != nil {
			b.Value = *p.Share * 100
		}
		t.bars = append(t.bars, b)
	}
	out := make([]targetSection, len(all))
	for i, t := range all {
		out[i] = t.section
		out[i].Chart = newChart(fmt.Sprintf("chart-target-%d", i+1), t.section.Title,
			v.T("coord.targets.desc", "Target", t.section.Title), t.bars, 100, float64(t.percent),
			v.T("coord.targets.line", "Percent", t.percent))
	}
	return out, nil
}

// serveTargets is the progress against each joint target, per period.
func (s *Site) serveTargets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := s.ui.NewView(r, "coord.targets.title", nil)
	v.Form = q
	data := targetsData{Locale: v.Locale, Filters: []webui.Field{
		v.Field("from").WithHint(v.T("coord.month_hint")), v.Field("to").WithHint(v.T("coord.month_hint"))}}
	from, to, err := coordinator.ParseTargetRange(filtersOf(q, []string{"from", "to"}), s.cfg.Now())
	if err != nil {
		v.SetError(err)
		v.Data = data
		s.ui.Render(w, r, http.StatusBadRequest, s.targets, v)
		return
	}
	dir, err := s.cfg.Directory.Current(r.Context())
	if err != nil {
		s.ui.Fail(w, r, &corridor.Error{Kind: corridor.KindUnavailable, Message: "The corridor directory cannot be read.", Err: err})
		return
	}
	if data.Targets, err = s.loadTargets(r, v, dir, from, to); err != nil {
		s.ui.Fail(w, r, err)
		return
	}
	v.Data = data
	s.ui.Render(w, r, http.StatusOK, s.targets, v)
}
