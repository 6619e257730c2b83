package coordinator_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// benchOpenCases is how many open cases the overdue benchmarks hold: the
// issue's scale, a million.
const benchOpenCases = 1_000_000

// BenchmarkOverdueScan measures the overdue scan over a million open
// cases, a tenth of them overdue and already notified: the overdue list's
// first and a later page, one step's list, the notifier's sweep when
// nothing new is overdue (every tick in the steady state), and when a
// thousand steps have just become overdue. Each must answer well under a
// second; docs/coordinator.md records a run.
func BenchmarkOverdueScan(b *testing.B) {
	pool := pg.NewPool(b, schema)
	ctx := b.Context()
	start := time.Now()
	now := start.Truncate(time.Microsecond)
	// Due dates spread over 1,000 days around now, a tenth in the past.
	if _, err := pool.Exec(ctx, `
		INSERT INTO coordinator_cases (case_ref, referral_id, sender_member, sender_agency, recipient_member,
			recipient_agency, milestone, opened_at, last_step_at, sector, age_band, sex, due_step, due_at,
			notified_due_at)
		SELECT 'case-b' || i, 'ref-b' || i, 'CI', 'CI-DGT', 'BF', 'BF-DPE', 'referral_delivered',
			$2::timestamptz - (i % 400) * interval '1 day', $2::timestamptz - (i % 400) * interval '1 day' + interval '1 hour',
			(array['A', 'C', 'G'])[i % 3 + 1], (array['5-11', '12-14', '15-17'])[i % 3 + 1], 'female',
			(array['decision', 'information_response', 'handover', 'follow_up'])[i % 4 + 1],
			$2::timestamptz + ((i % 1000) - 100) * interval '1 day' + (i % 997) * interval '1 second',
			CASE WHEN i % 1000 < 100 THEN $2::timestamptz + ((i % 1000) - 100) * interval '1 day' + (i % 997) * interval '1 second' END
		FROM generate_series(1, $1) AS i`, benchOpenCases, now); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE coordinator_cases`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d open cases in %v", benchOpenCases, time.Since(start).Round(time.Millisecond))

	b.Run("list first page", func(b *testing.B) {
		for b.Loop() {
			page, err := coordinator.ListOverdue(ctx, pool, coordinator.OverdueFilter{Limit: 100}, now)
			if err != nil || len(page.Items) != 100 || page.Next == nil {
				b.Fatalf("%d items, %v", len(page.Items), err)
			}
		}
	})
	b.Run("list a later page", func(b *testing.B) {
		// The 50,001st overdue case onwards: a keyset page costs what the
		// first does.
		var c coordinator.OverdueCursor
		if err := pool.QueryRow(ctx, `
			SELECT due_at, case_ref FROM coordinator_cases WHERE due_at < $1
			ORDER BY due_at, case_ref OFFSET 50000 LIMIT 1`, now).Scan(&c.DueAt, &c.CaseRef); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			page, err := coordinator.ListOverdue(ctx, pool, coordinator.OverdueFilter{Limit: 100, Before: &c}, now)
			if err != nil || len(page.Items) != 100 {
				b.Fatalf("%d items, %v", len(page.Items), err)
			}
		}
	})
	b.Run("list one step", func(b *testing.B) {
		for b.Loop() {
			page, err := coordinator.ListOverdue(ctx, pool, coordinator.OverdueFilter{Limit: 100, Step: "handover"}, now)
			if err != nil || len(page.Items) != 100 {
				b.Fatalf("%d items, %v", len(page.Items), err)
			}
		}
	})
	b.Run("case list overdue filter", func(b *testing.B) {
		for b.Loop() {
			page, err := coordinator.ListCases(ctx, pool, coordinator.CaseFilter{Limit: 100, Overdue: new(true), Sector: "A"}, now)
			if err != nil || len(page.Items) != 100 {
				b.Fatalf("%d items, %v", len(page.Items), err)
			}
		}
	})
	scan := func(b *testing.B, want int) {
		b.Helper()
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			steps, err := coordinator.ScanOverdue(ctx, tx, now, 2000)
			if err == nil && len(steps) != want {
				b.Fatalf("scan found %d steps, want %d", len(steps), want)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("sweep nothing new", func(b *testing.B) {
		for b.Loop() {
			scan(b, 0)
		}
	})
	b.Run("sweep 1000 newly overdue", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if _, err := pool.Exec(ctx, `
				UPDATE coordinator_cases SET notified_due_at = NULL
				WHERE case_ref IN (SELECT case_ref FROM coordinator_cases WHERE due_at < $1 ORDER BY due_at DESC LIMIT 1000)`, now); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			scan(b, 1000)
			b.StopTimer()
			if _, err := pool.Exec(ctx, `
				UPDATE coordinator_cases SET notified_due_at = due_at WHERE notified_due_at IS NULL AND due_at < $1`, now); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
}
