package auth

import (
	"context"
	"slices"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Claim names of the corridor claims in access tokens.
const (
	ClaimRoles   = "corridor_roles"
	ClaimCountry = "corridor_country"
	ClaimAgency  = "corridor_agency"
)

// Principal is the authenticated caller: a person (authorization code flow)
// or a service acting as itself (client credentials).
type Principal struct {
	// Subject is the "sub" claim, unique within the issuer.
	Subject string
	// Username is the "preferred_username" claim.
	Username string
	// ClientID is the OAuth client the token was issued to.
	ClientID string
	// Roles are the corridor roles the token's roles claim maps to
	// (Issuer.Claims); values that map to none are dropped.
	Roles []corridor.Role
	// Country is the member the identity provider vouches for.
	Country corridor.MemberCode
	// Agency is the caller's agency id, when the provider states one.
	Agency string
	// Issuer is the identity provider's issuer URL.
	Issuer string
}

// Has reports whether p has role.
func (p Principal) Has(role corridor.Role) bool { return slices.Contains(p.Roles, role) }

// HasAny reports whether p has at least one of roles.
func (p Principal) HasAny(roles ...corridor.Role) bool {
	return slices.ContainsFunc(roles, p.Has)
}

type principalKey struct{}

// NewContext returns a copy of ctx carrying p.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the Principal RequireAuth stored in ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
