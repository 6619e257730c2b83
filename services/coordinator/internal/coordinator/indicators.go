package coordinator

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
)

// Joint indicators (docs/indicators.md). The trigger of migration 00004
// keeps per-month counts and duration histograms as events arrive; the
// functions here read them for a range of periods, apply disclosure
// control to the whole release and return what may be published. Pages
// and the JSON API show the same Indicators.

// Period is the length of the periods indicators are given for.
type Period string

// The periods.
const (
	PeriodMonth   Period = "month"
	PeriodQuarter Period = "quarter"
	PeriodYear    Period = "year"
)

// Valid reports whether p is one of the periods.
func (p Period) Valid() bool { return p == PeriodMonth || p == PeriodQuarter || p == PeriodYear }

// months is the number of months in p.
func (p Period) months() int {
	switch p {
	case PeriodQuarter:
		return 3
	case PeriodYear:
		return 12
	}
	return 1
}

// Start returns the first day of the period of p holding t.
func (p Period) Start(t time.Time) time.Time {
	t = t.UTC()
	m := int(t.Month()) - 1
	m -= m % p.months()
	return time.Date(t.Year(), time.Month(m+1), 1, 0, 0, 0, 0, time.UTC)
}

// Next returns the first day of the period after the one starting at start.
func (p Period) Next(start time.Time) time.Time { return start.AddDate(0, p.months(), 0) }

// Label names the period starting at start: "2026-03", "2026-Q1", "2026".
func (p Period) Label(start time.Time) string {
	switch p {
	case PeriodQuarter:
		return fmt.Sprintf("%d-Q%d", start.Year(), (int(start.Month())-1)/3+1)
	case PeriodYear:
		return fmt.Sprintf("%d", start.Year())
	}
	return start.Format("2006-01")
}

// CountIndicators are the counted steps, in the order they are shown:
// children identified (the first referral of a case, in the month the
// child was identified), referrals sent, accepted, declined, children
// handed over, receiving services, followed up, confirmed no longer
// working, cases closed (by reason in the closure_reason breakdown).
func CountIndicators() []string {
	return []string{"identified", "referred", "accepted", "declined", "handed_over", "receiving_services",
		"followed_up", "not_working", "closed"}
}

// Measures are the durations between steps.
func Measures() []string {
	return []string{"identification_to_referral", "referral_to_decision", "decision_to_handover", "handover_to_follow_up"}
}

// Breakdowns are the attributes indicators are broken down by, one at a
// time; closure_reason applies to closed only.
func Breakdowns() []string { return []string{"sector", "age_band", "sex", "closure_reason"} }

// AllDirections is the direction of the cells that add up every direction.
const AllDirections = "all"

// TotalCategory is the category of a breakdown's margin.
const TotalCategory = "total"

// MinDurations is the fewest durations a percentile is given for: fewer
// would show single children's delays.
const MinDurations = MaxSuppressed + 1

// IndicatorQuery selects indicators.
type IndicatorQuery struct {
	Period Period
	// From is the first day of the first period, To the first day after
	// the last.
	From, To time.Time
	// Direction is "CI-BF" (from CI to BF) or "" for every direction.
	Direction string
	// By is a breakdown, "" for totals only, or EveryBreakdown.
	By string
}

// EveryBreakdown asks for every breakdown at once.
const EveryBreakdown = "*"

// CountCell is one published count. A suppressed cell has no value.
type CountCell struct {
	Indicator  string `json:"indicator"`
	Period     string `json:"period"`
	Direction  string `json:"direction"`
	Breakdown  string `json:"breakdown,omitempty"`
	Category   string `json:"category"`
	Value      *int64 `json:"value,omitempty"`
	Suppressed bool   `json:"suppressed,omitempty"`
}

// DurationCell is the median and 90th percentile of one measure, in hours
// (docs/indicators.md says the precision). A suppressed cell has no value.
type DurationCell struct {
	Measure     string `json:"measure"`
	Period      string `json:"period"`
	Direction   string `json:"direction"`
	Breakdown   string `json:"breakdown,omitempty"`
	Category    string `json:"category"`
	MedianHours *int64 `json:"median_hours,omitempty"`
	P90Hours    *int64 `json:"p90_hours,omitempty"`
	Suppressed  bool   `json:"suppressed,omitempty"`
}

// ScoreCell is a member's share of its steps done within the corridor's
// time limit, in a period: the mutual-accountability scorecard. Share is
// absent when the member had no such step, or when it is suppressed.
type ScoreCell struct {
	Member     string   `json:"member"`
	Step       string   `json:"step"`
	Period     string   `json:"period"`
	LimitHours int64    `json:"limit_hours"`
	Share      *float64 `json:"share,omitempty"`
	Suppressed bool     `json:"suppressed,omitempty"`
}

// Indicators is a release: every figure of one query.
type Indicators struct {
	Corridor  string         `json:"corridor"`
	Period    Period         `json:"period"`
	From      string         `json:"from"`
	To        string         `json:"to"`
	Direction string         `json:"direction,omitempty"`
	Breakdown string         `json:"breakdown,omitempty"`
	Counts    []CountCell    `json:"counts"`
	Durations []DurationCell `json:"durations"`
	Scorecard []ScoreCell    `json:"scorecard"`
}

// direction names a direction as the API does.
func direction(from, to string) string { return from + "-" + to }

// ParseDirection checks a direction "CI-BF" against the directory.
func ParseDirection(dir *directory.Directory, s string) (from, to corridor.MemberCode, err error) {
	a, b, ok := strings.Cut(s, "-")
	if ok && a != b {
		_, errA := dir.Member(corridor.MemberCode(a))
		_, errB := dir.Member(corridor.MemberCode(b))
		if errA == nil && errB == nil && a != string(corridor.Coordinator) && b != string(corridor.Coordinator) {
			return corridor.MemberCode(a), corridor.MemberCode(b), nil
		}
	}
	return "", "", corridor.Invalid("Invalid query parameters.",
		corridor.FieldError{Field: "direction", Message: "must be two member codes of the corridor, from-to (CI-BF)"})
}

// countRow is a sum of indicator_counts over a period.
type countRow struct {
	from, to, indicator, dim, value string
	period                          time.Time
	n                               int64
}

// durationRow is a histogram of indicator_durations, with its period.
type durationRow struct {
	from, to, measure, dim, value string
	period                        time.Time
	hist                          histogram
}

func loadCounts(ctx context.Context, db DB, p Period, from, to time.Time) ([]countRow, error) {
	rows, err := db.Query(ctx, `
		SELECT from_member, to_member, indicator, dim, value, date_trunc($3, month)::date, sum(n)::bigint
		FROM indicator_counts
		WHERE month >= $1 AND month < $2
		GROUP BY 1, 2, 3, 4, 5, 6
		HAVING sum(n) <> 0`, from, to, string(p))
	if err != nil {
		return nil, fmt.Errorf("read indicator counts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (countRow, error) {
		var r countRow
		err := row.Scan(&r.from, &r.to, &r.indicator, &r.dim, &r.value, &r.period, &r.n)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("read indicator counts: %w", err)
	}
	return out, nil
}

// loadDurations reads the histograms; dims limits the breakdowns read
// ("" is the totals).
func loadDurations(ctx context.Context, db DB, p Period, from, to time.Time, dims []string) ([]durationRow, error) {
	rows, err := db.Query(ctx, `
		SELECT from_member, to_member, measure, dim, value, date_trunc($3, month)::date, hist
		FROM indicator_durations
		WHERE month >= $1 AND month < $2 AND dim = ANY($4) AND hist <> '{}'`, from, to, string(p), dims)
	if err != nil {
		return nil, fmt.Errorf("read indicator durations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (durationRow, error) {
		var r durationRow
		var hist map[string]int64
		if err := row.Scan(&r.from, &r.to, &r.measure, &r.dim, &r.value, &r.period, &hist); err != nil {
			return r, err
		}
		r.hist = make(histogram, len(hist))
		for k, n := range hist {
			b, err := strconv.Atoi(k)
			if err != nil {
				return r, fmt.Errorf("histogram bucket %q: %w", k, err)
			}
			r.hist[b] = n
		}
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read indicator durations: %w", err)
	}
	return out, nil
}

// add adds o to h.
func (h histogram) add(o histogram) {
	for b, n := range o {
		h[b] += n
	}
}

// ComputeIndicators computes the release q asks for. Disclosure control is
// applied to every table of the period length over the range (every
// direction, every breakdown) before q's direction and breakdown select
// what is returned, so that two queries over the same range never
// disagree on which cells are hidden.
func ComputeIndicators(ctx context.Context, db DB, dir *directory.Directory, q IndicatorQuery) (Indicators, error) {
	counts, err := loadCounts(ctx, db, q.Period, q.From, q.To)
	if err != nil {
		return Indicators{}, err
	}
	// Percentiles are suppressed cell by cell (too few durations), not by
	// sums, so only the breakdown asked for is read.
	dims := []string{"", q.By}
	if q.By == EveryBreakdown {
		dims = append([]string{""}, Breakdowns()...)
	}
	durations, err := loadDurations(ctx, db, q.Period, q.From, q.To, dims)
	if err != nil {
		return Indicators{}, err
	}
	out := Indicators{
		Corridor:  dir.Corridor,
		Period:    q.Period,
		From:      q.From.Format("2006-01"),
		To:        q.To.AddDate(0, -1, 0).Format("2006-01"),
		Direction: q.Direction,
		Breakdown: q.By,
	}
	keep := func(dirName, dim string) bool {
		return (q.Direction == "" || dirName == q.Direction) && (dim == "" || dim == q.By || q.By == EveryBreakdown)
	}
	for _, c := range countCells(q.Period, counts) {
		if keep(c.Direction, c.Breakdown) {
			out.Counts = append(out.Counts, c)
		}
	}
	for _, c := range durationCells(q.Period, durations) {
		if keep(c.Direction, c.Breakdown) {
			out.Durations = append(out.Durations, c)
		}
	}
	for _, c := range scorecard(q.Period, dir.TimeLimits, durations) {
		if q.Direction == "" || strings.HasSuffix(q.Direction, "-"+c.Member) {
			out.Scorecard = append(out.Scorecard, c)
		}
	}
	out.Counts = nonNil(out.Counts)
	out.Durations = nonNil(out.Durations)
	out.Scorecard = nonNil(out.Scorecard)
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// cellID names a count cell of one indicator and period.
func cellID(dirName, dim, value string) string { return dirName + "|" + dim + "|" + value }

// countCells turns the counts into the release's published cells: for
// each indicator and period, the tables direction × category of every
// breakdown with their margins, suppressed together (they share the
// direction totals).
func countCells(p Period, rows []countRow) []CountCell {
	type group struct {
		indicator string
		period    time.Time
	}
	groups := map[group]map[string]int64{}
	dirSet := map[string]bool{}
	cats := map[string]map[string]bool{}
	for _, r := range rows {
		g := group{r.indicator, r.period}
		if groups[g] == nil {
			groups[g] = map[string]int64{}
		}
		d := direction(r.from, r.to)
		dirSet[d] = true
		groups[g][cellID(d, r.dim, r.value)] += r.n
		groups[g][cellID(AllDirections, r.dim, r.value)] += r.n
		if r.dim != "" {
			if cats[r.dim] == nil {
				cats[r.dim] = map[string]bool{}
			}
			cats[r.dim][r.value] = true
		}
	}
	dirs := slices.Sorted(maps.Keys(dirSet))
	keys := slices.SortedFunc(maps.Keys(groups), func(a, b group) int {
		return cmp.Or(cmp.Compare(slices.Index(CountIndicators(), a.indicator), slices.Index(CountIndicators(), b.indicator)),
			a.period.Compare(b.period))
	})
	var out []CountCell
	for _, g := range keys {
		values := groups[g]
		var sums []Sum
		dims := []string{"sector", "age_band", "sex"}
		if g.indicator == "closed" {
			dims = append(dims, "closure_reason")
		}
		allDirs := append(slices.Clone(dirs), AllDirections)
		total := Sum{Total: cellID(AllDirections, "", "")}
		for _, d := range dirs {
			total.Parts = append(total.Parts, cellID(d, "", ""))
		}
		sums = append(sums, total)
		for _, dim := range dims {
			catList := slices.Sorted(maps.Keys(cats[dim]))
			for _, d := range allDirs {
				s := Sum{Total: cellID(d, "", "")}
				for _, v := range catList {
					s.Parts = append(s.Parts, cellID(d, dim, v))
				}
				sums = append(sums, s)
			}
			for _, v := range catList {
				s := Sum{Total: cellID(AllDirections, dim, v)}
				for _, d := range dirs {
					s.Parts = append(s.Parts, cellID(d, dim, v))
				}
				sums = append(sums, s)
			}
		}
		// Every cell of the tables, zeros included.
		for _, s := range sums {
			for _, id := range append([]string{s.Total}, s.Parts...) {
				values[id] += 0
			}
		}
		hidden := Suppress(values, sums)
		label := p.Label(g.period)
		emit := func(d, dim, v string) {
			id := cellID(d, dim, v)
			c := CountCell{Indicator: g.indicator, Period: label, Direction: d, Breakdown: dim, Category: cmp.Or(v, TotalCategory)}
			if hidden[id] {
				c.Suppressed = true
			} else {
				n := values[id]
				c.Value = &n
			}
			out = append(out, c)
		}
		for _, d := range allDirs {
			emit(d, "", "")
			for _, dim := range dims {
				for _, v := range slices.Sorted(maps.Keys(cats[dim])) {
					emit(d, dim, v)
				}
			}
		}
	}
	return out
}

// histogram counts durations by bucket.
type histogram map[int]int64

func (h histogram) total() int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	return n
}

// percentile returns the upper bound, in hours, of the bucket holding the
// nearest-rank p-th percentile (0 < p <= 1).
func (h histogram) percentile(p float64) int64 {
	n := h.total()
	rank := max(int64(math.Ceil(float64(n)*p)), 1)
	var seen int64
	for _, b := range slices.Sorted(maps.Keys(h)) {
		seen += h[b]
		if seen >= rank {
			return BucketHours(b)
		}
	}
	return 0
}

// within returns how many durations are at most limit.
func (h histogram) within(limit time.Duration) int64 {
	top := Bucket(limit)
	var n int64
	for b, c := range h {
		if b <= top {
			n += c
		}
	}
	return n
}

// Bucket is the histogram bucket of a duration, as indicator_bucket in
// migration 00004 computes it: whole hours, rounded up, up to a week,
// then whole days.
func Bucket(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	const week = 168 * time.Hour
	if d <= week {
		return int((d + time.Hour - 1) / time.Hour)
	}
	return 168 + int((d-week+24*time.Hour-1)/(24*time.Hour))
}

// BucketHours is the longest duration of bucket b, in hours.
func BucketHours(b int) int64 {
	if b <= 168 {
		return int64(b)
	}
	return 168 + int64(b-168)*24
}

type durationKey struct {
	measure   string
	period    time.Time
	direction string
	dim       string
	value     string
}

// durationCells merges histograms per measure, period, direction and
// category and gives their percentiles.
func durationCells(p Period, rows []durationRow) []DurationCell {
	hists := map[durationKey]histogram{}
	add := func(k durationKey, h histogram) {
		if hists[k] == nil {
			hists[k] = histogram{}
		}
		hists[k].add(h)
	}
	for _, r := range rows {
		k := durationKey{r.measure, r.period, direction(r.from, r.to), r.dim, r.value}
		add(k, r.hist)
		k.direction = AllDirections
		add(k, r.hist)
	}
	keys := slices.SortedFunc(maps.Keys(hists), func(a, b durationKey) int {
		return cmp.Or(cmp.Compare(slices.Index(Measures(), a.measure), slices.Index(Measures(), b.measure)),
			a.period.Compare(b.period), cmp.Compare(a.direction, b.direction), cmp.Compare(a.dim, b.dim),
			cmp.Compare(a.value, b.value))
	})
	out := make([]DurationCell, 0, len(keys))
	for _, k := range keys {
		h := hists[k]
		c := DurationCell{Measure: k.measure, Period: p.Label(k.period), Direction: k.direction, Breakdown: k.dim,
			Category: cmp.Or(k.value, TotalCategory)}
		if h.total() < MinDurations {
			c.Suppressed = true
		} else {
			median, p90 := h.percentile(0.5), h.percentile(0.9)
			c.MedianHours, c.P90Hours = &median, &p90
		}
		out = append(out, c)
	}
	return out
}

// scoredStep is a step of the scorecard: the measure that times it and the
// time limit it is held to. The receiving member is responsible for each.
type scoredStep struct {
	step, measure string
	limit         func(directory.TimeLimits) time.Duration
}

func scoredSteps() []scoredStep {
	return []scoredStep{
		{"decision", "referral_to_decision", directory.TimeLimits.RespondWithin},
		{"handover", "decision_to_handover", directory.TimeLimits.HandoverWithin},
		{"follow_up", "handover_to_follow_up", directory.TimeLimits.FollowUpEvery},
	}
}

// share returns within/n unless a count of steps within or outside the
// limit is small enough to be suppressed; ok is false when n is 0.
func share(within, n int64) (value *float64, suppressed bool) {
	if n == 0 {
		return nil, false
	}
	small := func(v int64) bool { return v >= 1 && v <= MaxSuppressed }
	if small(within) || small(n-within) {
		return nil, true
	}
	s := float64(within) / float64(n)
	return &s, false
}

// scorecard gives each receiving member's share of steps within the limits.
func scorecard(p Period, limits directory.TimeLimits, rows []durationRow) []ScoreCell {
	type key struct {
		member, measure string
		period          time.Time
	}
	hists := map[key]histogram{}
	for _, r := range rows {
		if r.dim != "" {
			continue
		}
		k := key{r.to, r.measure, r.period}
		if hists[k] == nil {
			hists[k] = histogram{}
		}
		hists[k].add(r.hist)
	}
	var out []ScoreCell
	for _, k := range slices.SortedFunc(maps.Keys(hists), func(a, b key) int {
		return cmp.Or(cmp.Compare(a.member, b.member), a.period.Compare(b.period), cmp.Compare(a.measure, b.measure))
	}) {
		for _, s := range scoredSteps() {
			if s.measure != k.measure {
				continue
			}
			h := hists[k]
			limit := s.limit(limits)
			v, suppressed := share(h.within(limit), h.total())
			out = append(out, ScoreCell{Member: k.member, Step: s.step, Period: p.Label(k.period),
				LimitHours: int64(limit / time.Hour), Share: v, Suppressed: suppressed})
		}
	}
	return out
}
