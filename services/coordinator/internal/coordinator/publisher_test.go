package coordinator_test

import (
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/indicatorset"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// TestPublishRound publishes a set for each period, current or just
// closed, that holds events, once per content: again after a stored event
// changed, not while nothing did.
func TestPublishRound(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	now := april.AddDate(0, 0, 10) // the corpus is in the quarter before
	n := w.startCoordinator(t, false, func(c *coordinator.Config) {
		c.Now = func() time.Time { return now }
		c.Publish = coordinator.PublishConfig{Period: coordinator.PeriodQuarter}
	})
	ctx := t.Context()

	round := func() []coordinator.PublishedSet {
		t.Helper()
		sets, err := n.c.PublishRound(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sets
	}
	if sets := round(); len(sets) != 0 {
		t.Errorf("a round without events published %d sets", len(sets))
	}

	evs := corpus()
	insertAll(t, n.pool, evs)
	sets := round()
	if len(sets) != 1 {
		t.Fatalf("a round after the quarter's events published %d sets, want the closed quarter's", len(sets))
	}
	set, err := indicatorset.Open(w.dir, sets[0].Signed)
	if err != nil {
		t.Fatal(err)
	}
	if set.GetPeriod() != "quarter" || set.GetFrom() != "2026-01-01" || set.GetTo() != "2026-04-01" {
		t.Errorf("published %s %s to %s, want the quarter 2026-01-01 to 2026-04-01", set.GetPeriod(), set.GetFrom(), set.GetTo())
	}
	if again := round(); len(again) != 0 {
		t.Errorf("a round with nothing changed published %d sets", len(again))
	}

	// An event altered in the coordinator's database changes what the set
	// says: the next round publishes a new one.
	if _, err := n.pool.Exec(ctx, `UPDATE tracking_events SET age_band = '5-11' WHERE event_id = $1`, evs[0].EventID); err != nil {
		t.Fatal(err)
	}
	again := round()
	if len(again) != 1 || again[0].ID == sets[0].ID {
		t.Fatalf("after an event changed a round published %d sets, want one new set", len(again))
	}
	if newest, err := coordinator.NewestSet(ctx, n.pool, coordinator.PeriodQuarter); err != nil || newest.ID != again[0].ID {
		t.Errorf("the newest set is %s (%v), want %s", newest.ID, err, again[0].ID)
	}
	list, err := coordinator.ListSets(ctx, n.pool, coordinator.PeriodQuarter, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[1].ID != sets[0].ID || list[0].From != "2026-01-01" {
		t.Errorf("sets listed %+v, want two of the quarter, newest first", list)
	}
	if months, err := coordinator.ListSets(ctx, n.pool, coordinator.PeriodMonth, 10); err != nil || len(months) != 0 {
		t.Errorf("monthly sets listed %+v, %v; want none", months, err)
	}
}
