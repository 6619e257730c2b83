package workflow

import (
	"slices"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
)

// Recipients are the agencies of directory d that may receive referrals,
// by country: those of the corridor's member countries (the coordinator's
// receive none), narrowed to member and to the agencies offering service
// when they are given. The API's agency list and the referral form both
// offer these.
func Recipients(d *directory.Directory, member corridor.MemberCode, service string) []directory.Member {
	var out []directory.Member
	for _, m := range d.Members {
		if m.Code == corridor.Coordinator || (member != "" && m.Code != member) {
			continue
		}
		kept := m
		kept.Agencies = nil
		for _, a := range m.Agencies {
			if service == "" || slices.Contains(a.Services, service) {
				kept.Agencies = append(kept.Agencies, a)
			}
		}
		out = append(out, kept)
	}
	return out
}
