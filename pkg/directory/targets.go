package directory

import (
	"fmt"
	"slices"
)

// Target is a joint target the corridor's members agreed for one of the
// coordinator's indicators: a share of steps, taken per period, that should
// reach Percent. Targets are about shares of steps done within a delay (the
// mutual-accountability scorecard), because a share can be compared across
// periods and members of different sizes.
type Target struct {
	// ID names the target in reports ("decisions-in-time").
	ID string `json:"id" validate:"required,ident"`
	// Indicator is what is measured, one of TargetIndicators.
	Indicator string `json:"indicator" validate:"required,oneof=decided_within_limit handed_over_within_limit followed_up_within_limit followed_up_within_days"`
	// Percent is the share to reach, 1 to 100.
	Percent int `json:"percent" validate:"min=1,max=100"`
	// Period is the period over which the share is taken.
	Period string `json:"period" validate:"required,oneof=month quarter year"`
	// WithinDays is the delay of followed_up_within_days (from handover to
	// the first follow-up); the other indicators take the corridor's time
	// limits and must leave it zero.
	WithinDays int `json:"within_days,omitempty" validate:"min=0,max=3650"`
	// Description says the target in the members' words.
	Description string `json:"description,omitempty" validate:"max=300"`
}

// TargetIndicators returns the indicators a target may name: the share of
// referrals decided within the respond limit, of accepted referrals handed
// over within the handover limit, of handed-over children followed up
// within the follow-up limit, or within a given number of days.
func TargetIndicators() []string {
	return []string{"decided_within_limit", "handed_over_within_limit", "followed_up_within_limit", "followed_up_within_days"}
}

// validateTargets checks what the field tags cannot: unique ids, and a
// delay given exactly when the indicator needs one.
func (d *Directory) validateTargets(add func(field, format string, args ...any)) {
	ids := map[string]bool{}
	for i, t := range d.Targets {
		path := fmt.Sprintf("targets[%d]", i)
		if t.ID != "" && ids[t.ID] {
			add(path+".id", "duplicate target id %q", t.ID)
		}
		ids[t.ID] = true
		if !slices.Contains(TargetIndicators(), t.Indicator) {
			continue // the tag reported it
		}
		needsDays := t.Indicator == "followed_up_within_days"
		switch {
		case needsDays && t.WithinDays == 0:
			add(path+".within_days", "is required for %s", t.Indicator)
		case !needsDays && t.WithinDays != 0:
			add(path+".within_days", "must be absent for %s, which takes the corridor's time limit", t.Indicator)
		}
	}
}

// Target returns the target with the given id.
func (d *Directory) Target(id string) (Target, error) {
	for _, t := range d.Targets {
		if t.ID == id {
			return t, nil
		}
	}
	return Target{}, notFound(fmt.Sprintf("target %s is not in the corridor directory", id))
}
