package coordinator

import (
	"context"
	"fmt"
	"time"
)

// PublishConfig configures the publisher of indicator sets; zero values
// take the defaults in the comments.
type PublishConfig struct {
	// Period is the length of the period each published set covers
	// (quarter: a joint review meeting looks at a quarter).
	Period Period
	// Interval is how often the publisher recomputes the sets of the
	// period in progress and of the one before (1 h).
	Interval time.Duration
}

func (p *PublishConfig) setDefaults() {
	if !p.Period.Valid() {
		p.Period = PeriodQuarter
	}
	if p.Interval <= 0 {
		p.Interval = time.Hour
	}
}

// runPublisher publishes indicator sets at start and then every Interval
// until ctx ends (PublishRound). A failed round is logged and tried again
// at the next tick.
func (c *Coordinator) runPublisher(ctx context.Context) {
	if c.cfg.SetSigner.Private == nil {
		return // New's caller warned: no key, no sets
	}
	t := time.NewTicker(c.cfg.Publish.Interval)
	defer t.Stop()
	for {
		if _, err := c.PublishRound(ctx); err != nil && ctx.Err() == nil {
			c.logger.ErrorContext(ctx, "indicator set publication failed; will retry", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PublishRound publishes a set for the period in progress and one for the
// period before it, each only when its range holds events and only when
// its content differs from the newest set of that range (PublishSet). The
// set of the period in progress is provisional: it is re-issued as events
// arrive. The period before is re-issued while late events of it arrive
// (a member out of contact catching up), and is final once they stop. It
// returns the sets created.
func (c *Coordinator) PublishRound(ctx context.Context) ([]PublishedSet, error) {
	dir, err := c.cfg.Directory.Current(ctx)
	if err != nil {
		return nil, fmt.Errorf("publish indicator sets: %w", err)
	}
	p := c.cfg.Publish.Period
	now := c.cfg.Now()
	current := p.Start(now)
	var out []PublishedSet
	for _, from := range []time.Time{current.AddDate(0, -p.months(), 0), current} {
		to := p.Next(from)
		var hasEvents bool
		if err := c.cfg.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tracking_events WHERE at >= $1 AND at < $2)`,
			from, to).Scan(&hasEvents); err != nil {
			return out, fmt.Errorf("publish indicator sets: %w", err)
		}
		if !hasEvents {
			continue
		}
		set, created, err := PublishSet(ctx, c.cfg.Pool, dir, c.cfg.SetSigner, p, from, to, now)
		if err != nil {
			return out, err
		}
		if created {
			c.logger.InfoContext(ctx, "indicator set published", "set_id", set.ID, "period", string(p),
				"from", from.Format(time.DateOnly), "to", to.Format(time.DateOnly))
			out = append(out, set)
		}
	}
	return out, nil
}
