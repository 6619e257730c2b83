package auth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Claims says where an identity provider puts what a Principal is made of,
// and what its role values mean. Providers differ: Keycloak lists realm
// roles under "realm_access.roles", Microsoft Entra ID lists app roles
// under "roles", and Corridor's development provider uses corridor_roles.
// The zero value reads Corridor's own claims.
type Claims struct {
	// Roles is the path of the roles claim, an array of strings: claim
	// names joined by dots, as "realm_access.roles"; ClaimRoles when empty.
	Roles string
	// RoleValues maps the provider's role values to corridor roles
	// ("child-protection-officer" to caseworker). When nil every corridor
	// role name maps to itself. Values it does not map are dropped: a
	// provider's other roles grant nothing here.
	RoleValues map[string]corridor.Role
	// Country is the path of the member-code claim; ClaimCountry when empty.
	// When the token has no such claim, a provider pinned to a member
	// (Issuer.Member) vouches for that member: a country's own provider
	// has no one else's people.
	Country string
	// Agency is the path of the agency-id claim; ClaimAgency when empty.
	Agency string
}

// withDefaults fills the zero fields of c.
func (c Claims) withDefaults() Claims {
	if c.Roles == "" {
		c.Roles = ClaimRoles
	}
	if c.Country == "" {
		c.Country = ClaimCountry
	}
	if c.Agency == "" {
		c.Agency = ClaimAgency
	}
	return c
}

// validate reports the first problem with c.
func (c Claims) validate() error {
	for _, p := range []string{c.Roles, c.Country, c.Agency} {
		if p != "" && (strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..")) {
			return fmt.Errorf("claim path %q has an empty name", p)
		}
	}
	for v, r := range c.RoleValues {
		if v == "" {
			return errors.New("role map has an empty provider value")
		}
		if !r.Valid() {
			return fmt.Errorf("role map: %q maps to %q, which is not a corridor role", v, r)
		}
	}
	return nil
}

// role returns the corridor role the provider's value v stands for.
func (c Claims) role(v string) (corridor.Role, bool) {
	if c.RoleValues == nil {
		r := corridor.Role(v)
		return r, r.Valid()
	}
	r, ok := c.RoleValues[v]
	return r, ok
}

// ParseRoleValues reads a role map written "value=role,value=role"
// ("realm-inspector=inspector, dpe-officer=caseworker"), as configuration
// states it. Several values may map to one role; an empty s is a nil map
// (corridor role names map to themselves).
func ParseRoleValues(s string) (map[string]corridor.Role, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]corridor.Role{}
	for _, pair := range strings.Split(s, ",") {
		v, r, ok := strings.Cut(pair, "=")
		v, r = strings.TrimSpace(v), strings.TrimSpace(r)
		if !ok || v == "" {
			return nil, fmt.Errorf("role map entry %q is not value=role", strings.TrimSpace(pair))
		}
		if !corridor.Role(r).Valid() {
			return nil, fmt.Errorf("role map entry %q: %q is not a corridor role", strings.TrimSpace(pair), r)
		}
		if prev, dup := out[v]; dup && prev != corridor.Role(r) {
			return nil, fmt.Errorf("role map: %q maps to both %s and %s", v, prev, r)
		}
		out[v] = corridor.Role(r)
	}
	return out, nil
}

// lookup returns the value at path in claims. A name may itself contain
// dots (Entra ID's "extn.agency"): the longest name that exists wins at
// each level.
func lookup(claims map[string]any, path string) (any, bool) {
	if v, ok := claims[path]; ok {
		return v, true
	}
	for i := len(path) - 1; i > 0; i-- {
		if path[i] != '.' {
			continue
		}
		inner, ok := claims[path[:i]].(map[string]any)
		if !ok {
			continue
		}
		if v, ok := lookup(inner, path[i+1:]); ok {
			return v, true
		}
	}
	return nil, false
}

// stringsAt returns the strings of the array at path; present is false
// when there is no such claim, and err is set when it is not an array of
// strings.
func stringsAt(claims map[string]any, path string) (values []string, present bool, err error) {
	v, ok := lookup(claims, path)
	if !ok || v == nil {
		return nil, false, nil
	}
	switch v := v.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, true, fmt.Errorf("claim %s is not an array of strings", path)
			}
			out = append(out, s)
		}
		return out, true, nil
	}
	return nil, true, fmt.Errorf("claim %s is not an array of strings", path)
}

// stringAt returns the string at path, "" when absent; err is set when the
// claim is not a string.
func stringAt(claims map[string]any, path string) (string, error) {
	v, ok := lookup(claims, path)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("claim %s is not a string", path)
	}
	return s, nil
}
