package coordinator_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/indicatorset"
	trackingv1 "github.com/corridor-org/corridor/proto/corridor/tracking/v1"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// t0 is when the tests' first referral is sent, in January 2026.
var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// january and april bound the tests' first month and quarter.
var (
	january = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	april   = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
)

// referralEvents are the events of one referral from CI to BF: sent
// (identified a day before), delivered, decided after decideAfter,
// handed over 10 days later and followed up 20 days after that, reported
// by the side that records each step; handed_over is reported by both.
func referralEvents(n int, sent time.Time, decideAfter time.Duration, accept bool, sector string) []coordinator.Event {
	ref := fmt.Sprintf("ci-ref-%03d", n)
	base := coordinator.Event{
		Corridor: "ci-bf", CaseRef: fmt.Sprintf("ci-case-%03d", n), ReferralID: ref,
		SenderMember: ci, SenderAgency: "CI-DGT", RecipientMember: bf, RecipientAgency: "BF-DPE",
		Sector: sector, AgeBand: "15-17", Sex: "female",
	}
	ev := func(id, milestone string, member corridor.MemberCode, at time.Time) coordinator.Event {
		e := base
		e.EventID, e.Milestone, e.Member, e.At = member.Domain()+"-trk-"+ref+"-"+id, milestone, member, at
		return e
	}
	sentEv := ev("sent", "referral_sent", ci, sent)
	sentEv.IdentifiedAt = sent.Add(-24 * time.Hour)
	out := []coordinator.Event{sentEv, ev("delivered", "referral_delivered", bf, sent.Add(time.Minute))}
	decided := sent.Add(decideAfter)
	if !accept {
		return append(out, ev("declined", "referral_declined", bf, decided))
	}
	handed := decided.Add(10 * 24 * time.Hour)
	fu := ev("fu", "follow_up_recorded", bf, handed.Add(20*24*time.Hour))
	fu.StillWorking = "no"
	return append(out, ev("accepted", "referral_accepted", bf, decided),
		ev("ho-bf", "handed_over", bf, handed), ev("ho-ci", "handed_over", ci, handed.Add(time.Hour)), fu)
}

// corpus is 12 referrals in January 2026: 6 accepted in sector A,
// decided after 1 to 6 days, one declined in sector B and five in sector
// C, decided after 2 hours.
func corpus() []coordinator.Event {
	var evs []coordinator.Event
	for i := range 6 {
		evs = append(evs, referralEvents(i, t0.Add(time.Duration(i)*time.Hour), time.Duration(i+1)*24*time.Hour, true, "A")...)
	}
	evs = append(evs, referralEvents(6, t0.Add(48*time.Hour), 2*time.Hour, false, "B")...)
	for i := 7; i < 12; i++ {
		evs = append(evs, referralEvents(i, t0.Add(72*time.Hour), 2*time.Hour, false, "C")...)
	}
	return evs
}

func insertAll(t *testing.T, pool *pgxpool.Pool, evs []coordinator.Event) {
	t.Helper()
	for _, ev := range evs {
		if _, err := coordinator.InsertEvent(t.Context(), pool, ev); err != nil {
			t.Fatalf("insert %s: %v", ev.EventID, err)
		}
	}
}

// aggregates dumps the three indicator tables in a stable order.
func aggregates(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT referral_id, step, at, started_at, event_id, from_member, to_member, sector, age_band, sex, closure_reason
			FROM indicator_steps ORDER BY referral_id, step`,
		`SELECT from_member, to_member, indicator, dim, month, value, n FROM indicator_counts WHERE n <> 0
			ORDER BY from_member, to_member, indicator, dim, month, value`,
		`SELECT from_member, to_member, measure, dim, month, value, hist::text FROM indicator_durations WHERE hist <> '{}'
			ORDER BY from_member, to_member, measure, dim, month, value`,
	} {
		rows, err := pool.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestIndicatorsIncrementalEqualsRebuild stores events in a random order,
// with duplicates and a later-arriving earlier report of a step, and
// checks that the aggregates kept by the trigger equal those computed from
// scratch.
func TestIndicatorsIncrementalEqualsRebuild(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	evs := corpus()
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	evs = append(evs, evs[:5]...) // duplicates are stored once
	insertAll(t, pool, evs)
	incremental := aggregates(t, pool)
	if incremental == "" {
		t.Fatal("the trigger aggregated nothing")
	}
	if _, err := pool.Exec(t.Context(), `SELECT indicator_rebuild()`); err != nil {
		t.Fatal(err)
	}
	if rebuilt := aggregates(t, pool); rebuilt != incremental {
		t.Errorf("incremental aggregates differ from the rebuild:\n%s\nrebuilt:\n%s", incremental, rebuilt)
	}
}

func TestComputeIndicators(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	// Stored in reverse order: each referral's later steps arrive first.
	evs := corpus()
	slices.Reverse(evs)
	insertAll(t, pool, evs)
	dir := indicatorDirectory(t)
	q := coordinator.IndicatorQuery{Period: coordinator.PeriodQuarter, From: january, To: april, By: "sector"}
	got, err := coordinator.ComputeIndicators(t.Context(), pool, dir, q)
	if err != nil {
		t.Fatal(err)
	}
	count := func(indicator, dirName, dim, cat string) coordinator.CountCell {
		for _, c := range got.Counts {
			if c.Indicator == indicator && c.Direction == dirName && c.Breakdown == dim && c.Category == cat {
				return c
			}
		}
		t.Fatalf("no cell %s %s %s %s", indicator, dirName, dim, cat)
		return coordinator.CountCell{}
	}
	value := func(c coordinator.CountCell) string {
		if c.Suppressed {
			if c.Value != nil {
				return "suppressed with a value"
			}
			return "suppressed"
		}
		return fmt.Sprint(*c.Value)
	}
	for _, tc := range []struct {
		indicator, dirName, dim, cat, want string
	}{
		{"referred", "CI-BF", "", "total", "12"},
		{"referred", "all", "", "total", "12"},
		{"referred", "CI-BF", "sector", "A", "6"},
		// One in sector B: hidden, and so is the smallest cell that would
		// give it away by subtraction from the total.
		{"referred", "CI-BF", "sector", "B", "suppressed"},
		{"referred", "CI-BF", "sector", "C", "suppressed"},
		{"referred", "all", "sector", "B", "suppressed"},
		{"identified", "CI-BF", "", "total", "12"},
		{"accepted", "CI-BF", "", "total", "6"},
		{"declined", "CI-BF", "", "total", "6"},
		// Reported by both sides, counted once per referral.
		{"handed_over", "CI-BF", "", "total", "6"},
		{"not_working", "CI-BF", "", "total", "6"},
	} {
		if g := value(count(tc.indicator, tc.dirName, tc.dim, tc.cat)); g != tc.want {
			t.Errorf("%s %s %s %s = %s, want %s", tc.indicator, tc.dirName, tc.dim, tc.cat, g, tc.want)
		}
	}
	if c := count("referred", "CI-BF", "sector", "A"); c.Suppressed {
		t.Error("sector A is suppressed")
	}
	for _, c := range got.Counts {
		if c.Suppressed && c.Value != nil {
			t.Errorf("suppressed cell %+v carries a value", c)
		}
		if !c.Suppressed && *c.Value >= 1 && *c.Value <= coordinator.MaxSuppressed {
			t.Errorf("cell %+v shows a small count", c)
		}
	}
	// Decisions in sector A after 1..6 days: the median of 6 is the 3rd,
	// 72 hours; the 90th percentile the 6th, 144 hours.
	var decision *coordinator.DurationCell
	for i, d := range got.Durations {
		if d.Measure == "referral_to_decision" && d.Direction == "CI-BF" && d.Breakdown == "sector" && d.Category == "A" {
			decision = &got.Durations[i]
		}
	}
	if decision == nil || decision.MedianHours == nil {
		t.Fatalf("no decision durations in %+v", got.Durations)
	}
	if *decision.MedianHours != 72 || *decision.P90Hours != 144 {
		t.Errorf("decision median %d h, p90 %d h; want 72, 144", *decision.MedianHours, *decision.P90Hours)
	}
	// The scorecard: BF decided 9 of 12 within 72 hours: 3 outside, a
	// small count, so the share is suppressed; handovers all within 30
	// days.
	for _, s := range got.Scorecard {
		switch s.Step {
		case "decision":
			if !s.Suppressed || s.Share != nil {
				t.Errorf("decision score %+v, want suppressed", s)
			}
		case "handover":
			if s.Share == nil || *s.Share != 1 {
				t.Errorf("handover score %+v, want 1", s)
			}
		}
	}
	targets, err := coordinator.ComputeTargets(t.Context(), pool, dir, january, january.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 2 {
		t.Fatalf("targets: %+v", targets)
	}
	for _, tp := range targets {
		switch tp.Target.ID {
		case "decided-in-time":
			if !tp.Suppressed {
				t.Errorf("target %+v: want suppressed", tp)
			}
		case "followed-up-six-months":
			if tp.Met == nil || !*tp.Met || *tp.Share != 1 || tp.Period != "2026-Q1" {
				t.Errorf("target %+v: want met at 100%% in 2026-Q1", tp)
			}
		}
	}
}

// indicatorDirectory is the test directory with two joint targets.
func indicatorDirectory(t *testing.T) *directory.Directory {
	t.Helper()
	signers := map[corridor.MemberCode]signer{ci: newSigner(t, ci), bf: newSigner(t, bf), coord: newSigner(t, coord)}
	dir := buildDirectory(t, signers, nil)
	dir.Targets = []directory.Target{
		{ID: "decided-in-time", Indicator: "decided_within_limit", Percent: 90, Period: "month"},
		{ID: "followed-up-six-months", Indicator: "followed_up_within_days", WithinDays: 183, Percent: 100, Period: "quarter"},
	}
	if err := dir.Validate(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPublishedSetCoversTheSignedEvents publishes a set and checks each
// member's share against the events as the members signed them; after one
// stored event is altered, the next set names it.
func TestPublishedSetCoversTheSignedEvents(t *testing.T) {
	t.Parallel()
	pool := pg.NewPool(t, schema)
	evs := corpus()
	insertAll(t, pool, evs)
	signers := map[corridor.MemberCode]signer{ci: newSigner(t, ci), bf: newSigner(t, bf), coord: newSigner(t, coord)}
	dir := buildDirectory(t, signers, nil)
	key := coordinator.SetSigner{KeyID: signers[coord].keyID, Private: signers[coord].priv}
	from, to := january, april

	// What each member signed: its own events, as its relay built them.
	signed := map[corridor.MemberCode][]*trackingv1.TrackingEvent{}
	for _, ev := range evs {
		signed[ev.Member] = append(signed[ev.Member], ev.Proto())
	}
	check := func(ctx context.Context) map[corridor.MemberCode]string {
		t.Helper()
		set, created, err := coordinator.PublishSet(ctx, pool, dir, key, coordinator.PeriodQuarter, from, to, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !created {
			t.Errorf("set %s was not created, though its content is new", set.ID)
		}
		stored, err := coordinator.GetSet(ctx, pool, set.ID)
		if err != nil {
			t.Fatal(err)
		}
		opened, err := indicatorset.Open(dir, stored.Signed)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(opened.GetFigures()), `"referred"`) {
			t.Errorf("the set's figures lack the counts: %.200s", opened.GetFigures())
		}
		diffs := map[corridor.MemberCode]string{}
		for _, m := range []corridor.MemberCode{ci, bf} {
			own, err := indicatorset.Share(m, signed[m])
			if err != nil {
				t.Fatal(err)
			}
			diffs[m] = indicatorset.Compare(indicatorset.ShareOf(opened, m), own)
		}
		return diffs
	}
	if diffs := check(t.Context()); diffs[ci] != "" || diffs[bf] != "" {
		t.Fatalf("a fresh set disagrees with the signed events: %v", diffs)
	}
	// Someone with access to the coordinator's database moves a child to
	// another sector.
	altered := evs[0].EventID
	if _, err := pool.Exec(t.Context(), `UPDATE tracking_events SET sector = 'C' WHERE event_id = $1`, altered); err != nil {
		t.Fatal(err)
	}
	diffs := check(t.Context())
	if !strings.Contains(diffs[evs[0].Member], altered) {
		t.Errorf("after altering %s, %s's check says %q", altered, evs[0].Member, diffs[evs[0].Member])
	}
	if other := bf; evs[0].Member != other && diffs[other] != "" {
		t.Errorf("%s's share is unaltered but its check says %q", other, diffs[other])
	}
	// Publishing again with nothing changed gives the newest set again.
	var newest string
	if err := pool.QueryRow(t.Context(), `SELECT id FROM indicator_sets ORDER BY created_at DESC LIMIT 1`).Scan(&newest); err != nil {
		t.Fatal(err)
	}
	set, created, err := coordinator.PublishSet(t.Context(), pool, dir, key, coordinator.PeriodQuarter, from, to, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if created || set.ID != newest {
		t.Errorf("publishing unchanged content gave set %s (created %v), want the newest, %s", set.ID, created, newest)
	}
	// A set altered after signing does not open.
	tampered := slices.Clone(set.Signed)
	tampered[len(tampered)/2] ^= 1
	if _, err := indicatorset.Open(dir, tampered); err == nil {
		t.Error("a tampered set opens")
	}
}
