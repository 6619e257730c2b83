package directory_test

import (
	"errors"
	"testing"
	"time"

	"github.com/corridor-org/corridor/pkg/directory"
)

// TestCheckSentAt: a message is accepted only if it claims a sent_at in
// the corridor's window and in its signing key's validity; replays of old
// recordings and messages from the future are refused.
func TestCheckSentAt(t *testing.T) {
	t.Parallel()
	d := testDirectory(t) // bf-sig-2025 valid in 2025 only; now is 2026-06-01
	custom := testDirectory(t)
	custom.Exchange = directory.ExchangeSettings{MaxMessageAgeHours: 1, ClockSkewSeconds: 10, KeyGraceHours: 1}
	tests := []struct {
		name   string
		dir    *directory.Directory
		key    string
		sentAt time.Time
		want   error
	}{
		{"now", d, "bf-sig-2026", now, nil},
		{"29 days old", d, "bf-sig-2026", now.Add(-29 * 24 * time.Hour), nil},
		{"31 days old", d, "bf-sig-2026", now.Add(-31 * 24 * time.Hour), directory.ErrOutsideWindow},
		{"4 minutes ahead", d, "bf-sig-2026", now.Add(4 * time.Minute), nil},
		{"6 minutes ahead", d, "bf-sig-2026", now.Add(6 * time.Minute), directory.ErrOutsideWindow},
		{"custom age", custom, "bf-sig-2026", now.Add(-2 * time.Hour), directory.ErrOutsideWindow},
		{"custom skew", custom, "bf-sig-2026", now.Add(time.Minute), directory.ErrOutsideWindow},
		{"key expired at sent_at", custom, "bf-sig-2025", issued.Add(2 * time.Hour), directory.ErrOutsideWindow},
		{"key in grace", d, "bf-sig-2025", issued.Add(time.Hour), nil},
		{"key not yet valid", d, "bf-sig-2026", issued.Add(-time.Hour), directory.ErrOutsideWindow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			at := now
			if tc.name == "key in grace" || tc.name == "key expired at sent_at" || tc.name == "key not yet valid" {
				at = tc.sentAt // the window check alone would pass
			}
			err := tc.dir.CheckSentAt("BF", tc.key, tc.sentAt, at)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("CheckSentAt = %v, want %v", err, tc.want)
			}
		})
	}
	if err := d.CheckSentAt("BF", "bf-sig-none", now, now); err == nil {
		t.Error("CheckSentAt with an unknown key: no error")
	}
}

// TestExchangeSettingsOptional: a directory without the exchange settings
// (written before they existed) loads with the defaults.
func TestExchangeSettingsOptional(t *testing.T) {
	t.Parallel()
	d := testDirectory(t)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	s := d.Exchange
	if s.MaxMessageAge() != 30*24*time.Hour || s.ClockSkew() != 5*time.Minute || s.KeyGrace() != 24*time.Hour {
		t.Errorf("defaults = %s, %s, %s", s.MaxMessageAge(), s.ClockSkew(), s.KeyGrace())
	}
	d.Exchange.MaxMessageAgeHours = -1
	if err := d.Validate(); err == nil {
		t.Error("negative max age validates")
	}
}
