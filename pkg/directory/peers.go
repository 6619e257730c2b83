package directory

import (
	"slices"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// PeerDomains returns the JetStream domains of every member but me, sorted:
// the members whose OUTBOX me's INBOX sources.
func (d *Directory) PeerDomains(me corridor.MemberCode) []string {
	var peers []string
	for _, m := range d.Members {
		if m.Code != me {
			peers = append(peers, m.Code.Domain())
		}
	}
	slices.Sort(peers)
	return peers
}
