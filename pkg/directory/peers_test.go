package directory

import (
	"slices"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
)

func TestPeerDomains(t *testing.T) {
	t.Parallel()
	d := &Directory{Members: []Member{{Code: "CI"}, {Code: corridor.Coordinator}, {Code: "BF"}}}
	tests := map[corridor.MemberCode][]string{
		"CI":                 {"bf", "coord"},
		"BF":                 {"ci", "coord"},
		corridor.Coordinator: {"bf", "ci"},
		"GH":                 {"bf", "ci", "coord"},
	}
	for me, want := range tests {
		if got := d.PeerDomains(me); !slices.Equal(got, want) {
			t.Errorf("PeerDomains(%s) = %v, want %v", me, got, want)
		}
	}
}
