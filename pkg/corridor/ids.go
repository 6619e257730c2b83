package corridor

import (
	"crypto/rand"
	"encoding/base32"
	"slices"
	"strings"
)

// MemberCode identifies a corridor member: an ISO 3166-1 alpha-2 country code
// in upper case ("CI", "BF"), or "COORD" for the regional coordinator. It is
// the key of the directory and of the sandbox's endpoints file.
type MemberCode string

// Coordinator is the member code of the corridor's regional coordinator.
const Coordinator MemberCode = "COORD"

// Valid reports whether m has the form of a member code: an ISO 3166-1
// alpha-2 code in upper case, or Coordinator. Whether the corridor has such
// a member is for its directory to say.
func (m MemberCode) Valid() bool {
	if m == Coordinator {
		return true
	}
	return len(m) == 2 && 'A' <= m[0] && m[0] <= 'Z' && 'A' <= m[1] && m[1] <= 'Z'
}

// MaxCodeLen is the longest identifier or code IsCode accepts, in bytes.
const MaxCodeLen = 128

// IsCode reports whether s may stand in an identifier or code field (a
// message id, a case reference, an agency id, a milestone, an ISIC section,
// an age band): 1 to MaxCodeLen letters, digits, '_', '.', ':', '+' or '-'.
// Such fields are logged and passed to the coordinator; refusing spaces and
// other punctuation keeps names and narratives out of them.
func IsCode(s string) bool {
	if s == "" || len(s) > MaxCodeLen {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case r == '_', r == '.', r == ':', r == '+', r == '-':
		default:
			return false
		}
	}
	return true
}

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
	RoleAdmin       Role = "admin"       // country administrator: directory, keys, failed messages; never case content
	RoleAuditor     Role = "auditor"     // reads the audit trail, nothing else
	RoleCoordinator Role = "coordinator" // regional coordinator: sees milestones, never identities
	RoleService     Role = "service"     // a machine client (client-credentials grant)
)

// Roles returns every corridor role, people's first.
func Roles() []Role {
	return []Role{RoleInspector, RoleCaseworker, RoleSupervisor, RoleAdmin, RoleAuditor, RoleCoordinator, RoleService}
}

// Valid reports whether r is a corridor role.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a random identifier of 128 bits with the given prefix, for
// referral ids, message ids and case references. It is random so that it can
// never be derived from, or lead back to, a child's personal data.
func NewID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return prefix + idEncoding.EncodeToString(b[:])
}
