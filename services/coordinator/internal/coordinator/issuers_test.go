package coordinator_test

import (
	"log/slog"
	"slices"
	"testing"

	"github.com/corridor-org/corridor/pkg/auth"
	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/directory"
	"github.com/corridor-org/corridor/pkg/oidcdev"
	"github.com/corridor-org/corridor/pkg/oidcdev/oidcdevtest"
	"github.com/corridor-org/corridor/services/coordinator/internal/coordinator"
)

// TestIssuersFromReadEachProvidersClaims: the coordinator trusts every
// member's provider in the directory, reads each one's roles where the
// directory says (here CI's is shaped like Keycloak, BF's is Corridor's
// own), and lets each vouch for its own member only.
func TestIssuersFromReadEachProvidersClaims(t *testing.T) {
	t.Parallel()
	web := oidcdev.Client{ID: "corridor-web", Public: true, RedirectURIs: []string{redirectURI}}
	realm := func(roles ...string) map[string]any {
		return map[string]any{"realm_access": map[string]any{"roles": roles}, oidcdev.ClaimRoles: []string{}}
	}
	ciIdP := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-ci", Country: "CI", Clients: []oidcdev.Client{web},
		Users: []oidcdev.User{
			{Username: "focal-point", Password: "pw", Agency: "CI-DPE", Claims: realm("offline_access", "corridor-focal-point")},
			{Username: "officer", Password: "pw", Agency: "CI-DPE", Claims: realm("dpe-officer")},
			// corridor_roles says coordinator, but CI's provider puts roles
			// in realm_access: without that claim the token is refused.
			{Username: "sly", Password: "pw", Agency: "CI-DPE", Roles: []string{"coordinator"}},
			{Username: "impostor", Password: "pw", Agency: "BF-DPE", Country: "BF", Claims: realm("corridor-focal-point")},
		},
	})
	bfIdP := oidcdevtest.Start(t, oidcdev.Config{
		Audience: "corridor-bf", Country: "BF", Clients: []oidcdev.Client{web}, Users: oidcdev.DemoUsers("BF"),
	})
	dir := &directory.Directory{Members: []directory.Member{
		{Code: "CI", OIDC: &directory.OIDC{Issuer: ciIdP.URL, Audience: "corridor-ci", RolesClaim: "realm_access.roles",
			RoleValues: map[string]string{"corridor-focal-point": "coordinator", "dpe-officer": "caseworker"}}},
		{Code: "BF", OIDC: &directory.OIDC{Issuer: bfIdP.URL, Audience: "corridor-bf"}},
		{Code: corridor.Coordinator},
	}}
	v, err := auth.NewVerifier(auth.Config{Issuers: coordinator.IssuersFrom(dir)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	login := func(s *oidcdevtest.Server, user, password string) string {
		tok, err := oidcdev.PasswordLogin(t.Context(), nil, s.URL, "corridor-web", redirectURI, user, password)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	tests := []struct {
		name      string
		token     string
		wantRoles []corridor.Role
		member    corridor.MemberCode
		refused   bool
	}{
		{"a Keycloak realm role mapped to coordinator", login(ciIdP, "focal-point", "pw"), []corridor.Role{corridor.RoleCoordinator}, "CI", false},
		{"a Keycloak realm role mapped to caseworker", login(ciIdP, "officer", "pw"), []corridor.Role{corridor.RoleCaseworker}, "CI", false},
		{"corridor_roles from a Keycloak-shaped provider", login(ciIdP, "sly", "pw"), nil, "", true},
		{"CI's provider vouching for BF", login(ciIdP, "impostor", "pw"), nil, "", true},
		{"BF's provider with Corridor's own claims", login(bfIdP, "bf-coordinator", oidcdev.DemoPassword), []corridor.Role{corridor.RoleCoordinator}, "BF", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := v.Verify(t.Context(), tt.token)
			if tt.refused {
				if corridor.KindOf(err) != corridor.KindUnauthorized {
					t.Fatalf("Verify() = %+v, %v; want unauthorized", p, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify(): %v", err)
			}
			if !slices.Equal(p.Roles, tt.wantRoles) || p.Country != tt.member {
				t.Errorf("Verify() = %+v, want roles %v of %s", p, tt.wantRoles, tt.member)
			}
		})
	}
}
