package coordinator

import (
	"context"
	"time"

	"github.com/corridor-org/corridor/pkg/directory"
)

// TargetProgress is where the corridor stands against one joint target of
// the directory in one period: the share reached over every direction, and
// whether it meets the target. Share and Met are absent when no step was
// measured in the period, or when the share is suppressed.
type TargetProgress struct {
	Target     directory.Target `json:"target"`
	Period     string           `json:"period"`
	LimitHours int64            `json:"limit_hours"`
	Share      *float64         `json:"share,omitempty"`
	Met        *bool            `json:"met,omitempty"`
	Suppressed bool             `json:"suppressed,omitempty"`
}

// targetMeasure returns the measure a target's indicator is a share of,
// and the delay it counts within.
func targetMeasure(t directory.Target, limits directory.TimeLimits) (string, time.Duration) {
	switch t.Indicator {
	case "decided_within_limit":
		return "referral_to_decision", limits.RespondWithin()
	case "handed_over_within_limit":
		return "decision_to_handover", limits.HandoverWithin()
	case "followed_up_within_limit":
		return "handover_to_follow_up", limits.FollowUpEvery()
	default: // followed_up_within_days; the directory validates the list
		return "handover_to_follow_up", time.Duration(t.WithinDays) * 24 * time.Hour
	}
}

// ComputeTargets returns the progress against every target of dir in each
// of the target's periods that start in [from, to), oldest first.
func ComputeTargets(ctx context.Context, db DB, dir *directory.Directory, from, to time.Time) ([]TargetProgress, error) {
	out := []TargetProgress{}
	loaded := map[Period][]durationRow{}
	for _, t := range dir.Targets {
		p := Period(t.Period)
		start, end := p.Start(from), p.Start(to)
		if end.Before(to) {
			end = p.Next(end)
		}
		rows, ok := loaded[p]
		if !ok {
			var err error
			if rows, err = loadDurations(ctx, db, p, start, end, []string{""}); err != nil {
				return nil, err
			}
			loaded[p] = rows
		}
		measure, limit := targetMeasure(t, dir.TimeLimits)
		hists := map[time.Time]histogram{}
		for _, r := range rows {
			if r.measure != measure {
				continue
			}
			if hists[r.period] == nil {
				hists[r.period] = histogram{}
			}
			hists[r.period].add(r.hist)
		}
		for ps := start; ps.Before(end); ps = p.Next(ps) {
			h := hists[ps]
			v, suppressed := share(h.within(limit), h.total())
			tp := TargetProgress{Target: t, Period: p.Label(ps), LimitHours: int64(limit / time.Hour), Share: v, Suppressed: suppressed}
			if v != nil {
				met := *v*100 >= float64(t.Percent)
				tp.Met = &met
			}
			out = append(out, tp)
		}
	}
	return out, nil
}
