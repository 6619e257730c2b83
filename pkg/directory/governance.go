package directory

import (
	"crypto/ed25519"
	"fmt"
	"slices"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Governance says who may change the corridor directory: the governance
// public keys of the members and how many members must co-sign a new
// version. The threshold counts members, not keys, so that a member holding
// several keys (one per officer, say) still weighs one: two of three
// countries must agree, not two officers of one country.
type Governance struct {
	// Threshold is how many distinct members must sign a new version.
	Threshold int             `json:"threshold" validate:"min=1"`
	Keys      []GovernanceKey `json:"keys" validate:"min=1,dive"`
}

// GovernanceKey is a governance officer's Ed25519 public key. It signs
// directory versions only, with purpose signing.PurposeDirectory; it is not
// a relay's key, and is best kept offline.
type GovernanceKey struct {
	ID        string              `json:"id" validate:"required,ident"`
	Member    corridor.MemberCode `json:"member" validate:"required"`
	Algorithm string              `json:"algorithm" validate:"required"`
	PublicKey []byte              `json:"public_key" validate:"required"`
}

// Key returns the governance key keyID.
func (g *Governance) Key(keyID string) (GovernanceKey, bool) {
	for _, k := range g.Keys {
		if k.ID == keyID {
			return k, true
		}
	}
	return GovernanceKey{}, false
}

// Members returns the members holding a governance key, in the order of
// their first key.
func (g *Governance) Members() []corridor.MemberCode {
	var out []corridor.MemberCode
	for _, k := range g.Keys {
		if !slices.Contains(out, k.Member) {
			out = append(out, k.Member)
		}
	}
	return out
}

// validateGovernance adds the governance rules to Validate: keys of members
// listed in d, ids unique in the whole directory (keyIDs holds the members'
// key ids), Ed25519 keys, and a threshold that the members holding keys can
// reach. A directory without governance is valid as a draft; Propose and
// verification require it.
func (d *Directory) validateGovernance(keyIDs map[string]bool, add func(field, format string, args ...any)) {
	g := d.Governance
	if g == nil {
		return
	}
	members := map[corridor.MemberCode]bool{}
	for _, m := range d.Members {
		members[m.Code] = true
	}
	for i, k := range g.Keys {
		p := fmt.Sprintf("governance.keys[%d]", i)
		if k.ID != "" && keyIDs[k.ID] {
			add(p+".id", "duplicate key id %q", k.ID)
		}
		keyIDs[k.ID] = true
		if k.Member != "" && !members[k.Member] {
			add(p+".member", "%s is not a member of the corridor", k.Member)
		}
		if k.Algorithm != SigningAlgorithm {
			add(p+".algorithm", "must be %s", SigningAlgorithm)
		}
		if len(k.PublicKey) != ed25519.PublicKeySize {
			add(p+".public_key", "must be %d bytes, is %d", ed25519.PublicKeySize, len(k.PublicKey))
		}
	}
	if n := len(g.Members()); g.Threshold > n {
		add("governance.threshold", "is %d, but only %d members hold governance keys", g.Threshold, n)
	}
}
