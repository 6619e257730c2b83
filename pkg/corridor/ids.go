package corridor

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// MemberCode identifies a corridor member: an ISO 3166-1 alpha-2 country code
// in upper case ("CI", "BF"), or "COORD" for the regional coordinator. It is
// the key of the directory and of the sandbox's endpoints file.
type MemberCode string

// Coordinator is the member code of the corridor's regional coordinator.
const Coordinator MemberCode = "COORD"

// Domain returns the member's JetStream domain and subject token: its code in
// lower case ("ci", "bf", "coord").
func (m MemberCode) Domain() string { return strings.ToLower(string(m)) }

// Role is a user's corridor role, taken from an identity provider's claim.
type Role string

// The roles.
const (
	RoleInspector   Role = "inspector"   // labour inspector: files referrals
	RoleCaseworker  Role = "caseworker"  // child-protection caseworker: receives and handles referrals
	RoleSupervisor  Role = "supervisor"  // caseworker's supervisor: may override consent in the child's best interests
	RoleCoordinator Role = "coordinator" // regional coordinator: sees milestones, never identities
	RoleService     Role = "service"     // a machine client (client-credentials grant)
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a random identifier of 128 bits with the given prefix, for
// referral ids, message ids and case references. It is random so that it can
// never be derived from, or lead back to, a child's personal data.
func NewID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return prefix + idEncoding.EncodeToString(b[:])
}
