package sandbox

import (
	"github.com/corridor-org/corridor/pkg/corridor"
)

// The sandbox's corridor: who is in it and who logs in. These are functions
// rather than package variables so that no caller can change them for
// another.

// corridorID is the corridor's identifier in the directory.
const corridorID = "ci-bf"

// demoPassword is every demo user's password.
const demoPassword = "corridor-demo"

// member is one member of the sandbox corridor.
type member struct {
	Code corridor.MemberCode
	Name string
	// Country members run casework and a relay; the coordinator runs the
	// coordinator service.
	Country bool
}

func (m member) domain() string { return m.Code.Domain() }

// audience is the OIDC audience of the member's services.
func (m member) audience() string { return "corridor-" + m.domain() }

func members() []member {
	return []member{
		{Code: "CI", Name: "Côte d'Ivoire", Country: true},
		{Code: "BF", Name: "Burkina Faso", Country: true},
		coordinatorMember(),
	}
}

// coordinatorMember is the corridor's regional coordinator.
func coordinatorMember() member {
	return member{Code: corridor.Coordinator, Name: "ECOWAS regional coordination"}
}

func countries() []member {
	var out []member
	for _, m := range members() {
		if m.Country {
			out = append(out, m)
		}
	}
	return out
}

// agency is a demo agency and the member it belongs to.
type agency struct {
	ID     string
	Member corridor.MemberCode
	Name   string
	// Services are the service codes the agency offers; a referral may only
	// request services its recipient offers.
	Services []string
	// Places are the ISO 3166-2 subdivisions the agency covers.
	Places []string
}

func agencies() []agency {
	ci := []string{"CI-AB", "CI-BS", "CI-CM", "CI-DN", "CI-GD", "CI-LC", "CI-LG", "CI-MG", "CI-SM", "CI-SV", "CI-VB", "CI-WR", "CI-YM", "CI-ZZ"}
	bf := []string{"BF-01", "BF-02", "BF-03", "BF-04", "BF-05", "BF-06", "BF-07", "BF-08", "BF-09", "BF-10", "BF-11", "BF-12", "BF-13"}
	// Labour inspectors find children and refer them; they offer no
	// service of their own.
	protection := []string{
		"family_tracing", "reunification", "medical", "psychosocial", "education",
		"vocational_training", "legal", "shelter", "cash_transfer",
	}
	// The shelters are run by NGOs under agreement with the ministries: a
	// second recipient in each country, covering fewer places and offering
	// fewer services, so that a declined referral has somewhere to go.
	shelter := []string{"shelter", "psychosocial", "medical", "education"}
	return []agency{
		{"CI-DGT", "CI", "Direction Générale du Travail (labour inspection)", nil, ci},
		{"CI-DPE", "CI", "Direction de la Protection de l'Enfant (child protection)", protection, ci},
		{"CI-ABRI", "CI", "Centre d'accueil Abri d'Enfants (NGO-run shelter)", shelter, []string{"CI-AB", "CI-GD", "CI-SV"}},
		{"BF-DGT", "BF", "Direction Générale du Travail (labour inspection)", nil, bf},
		{"BF-DPE", "BF", "Direction de la Protection de l'Enfant (child protection)", protection, bf},
		{"BF-REFUGE", "BF", "Centre de transit Refuge (NGO-run shelter)", shelter, []string{"BF-03", "BF-09", "BF-10"}},
		{"ECOWAS-CLU", corridor.Coordinator, "ECOWAS Child Labour Unit", nil, nil},
	}
}

// demoUser is a user of a member's identity provider.
type demoUser struct {
	Username string
	Name     string
	// Roles are the user's corridor roles; the last is the one endpoints.json
	// names. A supervisor is a caseworker too: the role adds the consent
	// override.
	Roles  []corridor.Role
	Member corridor.MemberCode
	Agency string
}

func demoUsers() []demoUser {
	r := func(roles ...corridor.Role) []corridor.Role { return roles }
	return []demoUser{
		{"ci-inspector", "Demo Inspector (CI)", r(corridor.RoleInspector), "CI", "CI-DGT"},
		{"ci-caseworker", "Demo Caseworker (CI)", r(corridor.RoleCaseworker), "CI", "CI-DPE"},
		{"ci-supervisor", "Demo Supervisor (CI)", r(corridor.RoleCaseworker, corridor.RoleSupervisor), "CI", "CI-DPE"},
		{"ci-admin", "Demo Administrator (CI)", r(corridor.RoleAdmin), "CI", "CI-DPE"},
		{"ci-auditor", "Demo Auditor (CI)", r(corridor.RoleAuditor), "CI", "CI-DPE"},
		{"bf-inspector", "Demo Inspector (BF)", r(corridor.RoleInspector), "BF", "BF-DGT"},
		{"bf-caseworker", "Demo Caseworker (BF)", r(corridor.RoleCaseworker), "BF", "BF-DPE"},
		{"bf-supervisor", "Demo Supervisor (BF)", r(corridor.RoleCaseworker, corridor.RoleSupervisor), "BF", "BF-DPE"},
		{"bf-admin", "Demo Administrator (BF)", r(corridor.RoleAdmin), "BF", "BF-DPE"},
		{"bf-auditor", "Demo Auditor (BF)", r(corridor.RoleAuditor), "BF", "BF-DPE"},
		{"coordinator", "Demo Coordinator (ECOWAS)", r(corridor.RoleCoordinator), corridor.Coordinator, "ECOWAS-CLU"},
	}
}
