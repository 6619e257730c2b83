package corridor_test

import (
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
)

func TestMemberCodeValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code corridor.MemberCode
		want bool
	}{
		{"CI", true},
		{"BF", true},
		{corridor.Coordinator, true},
		{"ci", false},
		{"C", false},
		{"CIV", false},
		{"C1", false},
		{"", false},
		{"coord", false},
	}
	for _, tc := range tests {
		if got := tc.code.Valid(); got != tc.want {
			t.Errorf("MemberCode(%q).Valid() = %v, want %v", tc.code, got, tc.want)
		}
	}
}

func TestIsCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		want bool
	}{
		{"ci-0123abcd", true},
		{"ref-xyz", true},
		{"A", true},
		{"12-14", true},
		{"ci:ci-trk-1+r2.x_y", true},
		{strings.Repeat("a", corridor.MaxCodeLen), true},
		{strings.Repeat("a", corridor.MaxCodeLen+1), false},
		{"", false},
		{"Awa Zongo", false},
		{"a/b", false},
		{"é", false},
		{"a\x00", false},
		{"line\nbreak", false},
	}
	for _, tc := range tests {
		if got := corridor.IsCode(tc.s); got != tc.want {
			t.Errorf("IsCode(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestNewID(t *testing.T) {
	t.Parallel()
	a, b := corridor.NewID("ref-"), corridor.NewID("ref-")
	if a == b || !strings.HasPrefix(a, "ref-") || !corridor.IsCode(a) {
		t.Errorf("NewID = %q, %q: want distinct codes with the prefix", a, b)
	}
}
