package coordinator_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// benchEvents is how many tracking events BenchmarkIndicators stores:
// CORRIDOR_BENCH_EVENTS, 10 million by default.
func benchEvents(b *testing.B) int {
	b.Helper()
	n := 10_000_000
	if s := os.Getenv("CORRIDOR_BENCH_EVENTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 5 {
			b.Fatalf("CORRIDOR_BENCH_EVENTS=%q: want a number of events, at least 5", s)
		}
		n = v
	}
	return n
}

// seedSQL stores $1 referrals of five events each (sent, delivered,
// accepted or declined, handed over, followed up) over three years, both
// directions, every sector, age band and sex, in one server-side
// statement: a bulk load with the aggregation trigger disabled, after
// which indicator_rebuild computes what the trigger would have.
const seedSQL = `
	INSERT INTO tracking_events (event_id, corridor, case_ref, referral_id, milestone, member,
		sender_member, sender_agency, recipient_member, recipient_agency, at, sector, age_band, sex,
		identified_at, still_working, closure_reason)
	SELECT 'trk-' || r || '-' || s.step, 'ci-bf', 'case-' || r, 'ref-' || r, s.milestone,
		CASE WHEN s.by_sender THEN d.sender ELSE d.recipient END,
		d.sender, d.sender || '-DGT', d.recipient, d.recipient || '-DPE',
		t.sent + s.after, chr((65 + r % 21)::int), (ARRAY['5-11', '12-14', '15-17', 'unknown'])[1 + r % 4],
		(ARRAY['female', 'male', 'other', 'unknown'])[1 + r % 4],
		CASE WHEN s.milestone = 'referral_sent' THEN t.sent - make_interval(hours => r % 97) END,
		CASE WHEN s.milestone = 'follow_up_recorded' THEN (ARRAY['yes', 'no'])[1 + r % 2] ELSE '' END, ''
	FROM generate_series(1, $1::int) AS r
	CROSS JOIN LATERAL (SELECT CASE WHEN r % 3 = 0 THEN 'BF' ELSE 'CI' END AS sender,
		CASE WHEN r % 3 = 0 THEN 'CI' ELSE 'BF' END AS recipient) AS d
	CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01 00:00:00+00' + make_interval(mins => (r * 37 % (3 * 365 * 24 * 60))::int) AS sent) AS t
	CROSS JOIN LATERAL (VALUES
		(1, 'referral_sent', true, interval '0'),
		(2, 'referral_delivered', false, interval '1 minute'),
		(3, CASE WHEN r % 10 = 0 THEN 'referral_declined' ELSE 'referral_accepted' END, false, make_interval(hours => 1 + (r * 7 % 200)::int)),
		(4, 'handed_over', false, make_interval(hours => 1 + (r * 7 % 200)::int, days => 1 + (r % 60)::int)),
		(5, 'follow_up_recorded', false, make_interval(hours => 1 + (r * 7 % 200)::int, days => 1 + (r % 60)::int + 1 + (r % 180)::int))
	) AS s(step, milestone, by_sender, after)`

// BenchmarkIndicators measures a year of indicators by quarter, broken
// down by sector, with disclosure control, and the targets' progress,
// over 10 million stored events (docs/indicators.md, "Scale").
func BenchmarkIndicators(b *testing.B) {
	n := benchEvents(b)
	pool := pg.NewPool(b, schema)
	ctx := b.Context()
	start := time.Now()
	for _, q := range []string{`ALTER TABLE tracking_events DISABLE TRIGGER tracking_events_indicators`} {
		if _, err := pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, seedSQL, n/5); err != nil {
		b.Fatal(err)
	}
	loaded := time.Since(start)
	if _, err := pool.Exec(ctx, `SELECT indicator_rebuild()`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE tracking_events ENABLE TRIGGER tracking_events_indicators`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE indicator_counts, indicator_durations`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d events loaded in %s, aggregated in %s", n/5*5, loaded.Round(time.Second), (time.Since(start) - loaded).Round(time.Second))
	dir := &directory.Directory{
		Corridor:   "ci-bf",
		TimeLimits: directory.TimeLimits{RespondWithinHours: 72, InformationResponseWithinHours: 120, HandoverWithinDays: 30, FollowUpEveryDays: 180},
		Targets: []directory.Target{
			{ID: "decided-in-time", Indicator: "decided_within_limit", Percent: 90, Period: "quarter"},
			{ID: "followed-up", Indicator: "followed_up_within_days", WithinDays: 183, Percent: 100, Period: "year"},
		},
	}
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	q := coordinator.IndicatorQuery{Period: coordinator.PeriodQuarter, From: from, To: from.AddDate(1, 0, 0), By: "sector"}
	b.ResetTimer()
	for b.Loop() {
		got, err := coordinator.ComputeIndicators(ctx, pool, dir, q)
		if err != nil {
			b.Fatal(err)
		}
		if len(got.Counts) == 0 || len(got.Durations) == 0 {
			b.Fatal("no indicators")
		}
		if _, err := coordinator.ComputeTargets(ctx, pool, dir, q.From, q.To); err != nil {
			b.Fatal(err)
		}
	}
}
