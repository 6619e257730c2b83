package directory_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
)

func TestTargets(t *testing.T) {
	t.Parallel()
	valid := []directory.Target{
		{ID: "decisions-in-time", Indicator: "decided_within_limit", Percent: 90, Period: "month"},
		{ID: "follow-up", Indicator: "followed_up_within_days", WithinDays: 183, Percent: 100, Period: "quarter", Description: "every child followed up within six months"},
	}
	d := testDirectory(t)
	d.Targets = valid
	if err := d.Validate(); err != nil {
		t.Fatalf("valid targets: %v", err)
	}
	if got, err := d.Target("follow-up"); err != nil || got.WithinDays != 183 {
		t.Errorf("Target(follow-up) = %+v, %v", got, err)
	}
	if _, err := d.Target("nothing"); corridor.KindOf(err) != corridor.KindNotFound || !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("Target(nothing) = %v, want not found", err)
	}
	for _, tc := range []struct {
		name   string
		change func(ts []directory.Target)
		field  string
	}{
		{"unknown indicator", func(ts []directory.Target) { ts[0].Indicator = "children_happy" }, "targets[0].indicator"},
		{"no id", func(ts []directory.Target) { ts[0].ID = "" }, "targets[0].id"},
		{"duplicate id", func(ts []directory.Target) { ts[1].ID = ts[0].ID }, "targets[1].id"},
		{"percent zero", func(ts []directory.Target) { ts[0].Percent = 0 }, "targets[0].percent"},
		{"percent over 100", func(ts []directory.Target) { ts[0].Percent = 101 }, "targets[0].percent"},
		{"unknown period", func(ts []directory.Target) { ts[0].Period = "week" }, "targets[0].period"},
		{"days missing", func(ts []directory.Target) { ts[1].WithinDays = 0 }, "targets[1].within_days"},
		{"days where the limit applies", func(ts []directory.Target) { ts[0].WithinDays = 3 }, "targets[0].within_days"},
		{"days negative", func(ts []directory.Target) { ts[1].WithinDays = -1 }, "targets[1].within_days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := testDirectory(t)
			d.Targets = slices.Clone(valid)
			tc.change(d.Targets)
			err := d.Validate()
			var ce *corridor.Error
			if !errors.As(err, &ce) {
				t.Fatalf("Validate = %v, want invalid", err)
			}
			if !slices.ContainsFunc(ce.Fields, func(f corridor.FieldError) bool { return f.Field == tc.field }) {
				t.Errorf("Validate fields %+v, want %s", ce.Fields, tc.field)
			}
		})
	}
}
