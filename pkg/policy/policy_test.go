package policy_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
	"github.com/corridor-org/corridor/pkg/policy"
)

// table is the whole policy, written out: one line per role and action,
// one column per ownership (no case, filed by me, assigned to me, own
// agency, other agency, other country), Y for allowed. Any change to the
// policy shows here, in review.
const table = `
inspector    file_referral          Y - - - - -
inspector    view_case              - Y Y Y - -
inspector    act_on_case            - Y Y - - -
inspector    assign_case            - - - - - -
inspector    override_consent       - - - - - -
inspector    approve_closure        - - - - - -
inspector    list_work              Y - - - - -
inspector    oversee_agency         - - - - - -
inspector    view_failed_messages   - - - - - -
inspector    retry_failed_messages  - - - - - -
inspector    administer_directory   - - - - - -
inspector    read_audit_trail       - - - - - -
inspector    view_coordinator       - - - - - -
caseworker   file_referral          Y - - - - -
caseworker   view_case              - Y Y Y - -
caseworker   act_on_case            - Y Y Y - -
caseworker   assign_case            - - - - - -
caseworker   override_consent       - - - - - -
caseworker   approve_closure        - - - - - -
caseworker   list_work              Y - - - - -
caseworker   oversee_agency         - - - - - -
caseworker   view_failed_messages   - - - - - -
caseworker   retry_failed_messages  - - - - - -
caseworker   administer_directory   - - - - - -
caseworker   read_audit_trail       - - - - - -
caseworker   view_coordinator       - - - - - -
supervisor   file_referral          Y - - - - -
supervisor   view_case              - Y Y Y - -
supervisor   act_on_case            - Y Y Y - -
supervisor   assign_case            - Y Y Y - -
supervisor   override_consent       Y - - - - -
supervisor   approve_closure        - Y Y Y - -
supervisor   list_work              Y - - - - -
supervisor   oversee_agency         Y - - - - -
supervisor   view_failed_messages   - - - - - -
supervisor   retry_failed_messages  - - - - - -
supervisor   administer_directory   - - - - - -
supervisor   read_audit_trail       - - - - - -
supervisor   view_coordinator       - - - - - -
admin        file_referral          - - - - - -
admin        view_case              - - - - - -
admin        act_on_case            - - - - - -
admin        assign_case            - - - - - -
admin        override_consent       - - - - - -
admin        approve_closure        - - - - - -
admin        list_work              - - - - - -
admin        oversee_agency         - - - - - -
admin        view_failed_messages   Y - - - - -
admin        retry_failed_messages  Y - - - - -
admin        administer_directory   Y - - - - -
admin        read_audit_trail       - - - - - -
admin        view_coordinator       - - - - - -
auditor      file_referral          - - - - - -
auditor      view_case              - - - - - -
auditor      act_on_case            - - - - - -
auditor      assign_case            - - - - - -
auditor      override_consent       - - - - - -
auditor      approve_closure        - - - - - -
auditor      list_work              - - - - - -
auditor      oversee_agency         - - - - - -
auditor      view_failed_messages   - - - - - -
auditor      retry_failed_messages  - - - - - -
auditor      administer_directory   - - - - - -
auditor      read_audit_trail       Y - - - - -
auditor      view_coordinator       - - - - - -
coordinator  file_referral          - - - - - -
coordinator  view_case              - - - - - -
coordinator  act_on_case            - - - - - -
coordinator  assign_case            - - - - - -
coordinator  override_consent       - - - - - -
coordinator  approve_closure        - - - - - -
coordinator  list_work              - - - - - -
coordinator  oversee_agency         - - - - - -
coordinator  view_failed_messages   - - - - - -
coordinator  retry_failed_messages  - - - - - -
coordinator  administer_directory   - - - - - -
coordinator  read_audit_trail       - - - - - -
coordinator  view_coordinator       Y - - - - -
service      file_referral          - - - - - -
service      view_case              - - - - - -
service      act_on_case            - - - - - -
service      assign_case            - - - - - -
service      override_consent       - - - - - -
service      approve_closure        - - - - - -
service      list_work              - - - - - -
service      oversee_agency         - - - - - -
service      view_failed_messages   Y - - - - -
service      retry_failed_messages  - - - - - -
service      administer_directory   - - - - - -
service      read_audit_trail       - - - - - -
service      view_coordinator       - - - - - -
`

// TestEveryRoleActionOwnership decides every combination of role, action
// and ownership and compares with table, which must list each exactly once.
func TestEveryRoleActionOwnership(t *testing.T) {
	t.Parallel()
	want := map[string]bool{}
	for n, line := range strings.Split(strings.TrimSpace(table), "\n") {
		f := strings.Fields(line)
		if len(f) != 2+len(policy.Ownerships()) {
			t.Fatalf("table line %d has %d fields: %q", n+1, len(f), line)
		}
		for i, o := range policy.Ownerships() {
			key := f[0] + " " + f[1] + " " + string(o)
			if _, dup := want[key]; dup {
				t.Fatalf("table lists %s twice", key)
			}
			switch f[2+i] {
			case "Y":
				want[key] = true
			case "-":
				want[key] = false
			default:
				t.Fatalf("table line %d: %q is neither Y nor -", n+1, f[2+i])
			}
		}
	}
	seen := 0
	for _, r := range corridor.Roles() {
		for _, a := range policy.Actions() {
			for _, o := range policy.Ownerships() {
				key := string(r) + " " + string(a) + " " + string(o)
				allowed, listed := want[key]
				if !listed {
					t.Errorf("table does not list %s", key)
					continue
				}
				seen++
				d := policy.Decide(r, a, o)
				if d.Allowed != allowed {
					t.Errorf("Decide(%s) = %v (%s), table says %v", key, d.Allowed, d.Reason, allowed)
				}
				if d.Reason == "" {
					t.Errorf("Decide(%s) gives no reason", key)
				}
			}
		}
	}
	if seen != len(want) {
		t.Errorf("table lists %d combinations, the policy has %d", len(want), seen)
	}
}

func TestUnknownRoleIsDenied(t *testing.T) {
	t.Parallel()
	for _, a := range policy.Actions() {
		for _, o := range policy.Ownerships() {
			if d := policy.Decide("root", a, o); d.Allowed {
				t.Errorf("Decide(root, %s, %s) allowed", a, o)
			}
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	r := func(roles ...corridor.Role) []corridor.Role { return roles }
	tests := []struct {
		roles   []corridor.Role
		action  policy.Action
		own     policy.Ownership
		allowed bool
		reason  string
	}{
		{nil, policy.ViewCase, policy.OwnAgency, false, "no corridor role"},
		{r(corridor.RoleCaseworker, corridor.RoleSupervisor), policy.AssignCase, policy.OwnAgency, true, "supervisors"},
		{r(corridor.RoleInspector, corridor.RoleSupervisor), policy.ActOnCase, policy.OwnAgency, true, "supervisors"},
		{r(corridor.RoleInspector), policy.ActOnCase, policy.OwnAgency, false, "filed or were assigned"},
		{r(corridor.RoleCaseworker, corridor.RoleAdmin), policy.ViewCase, policy.OtherAgency, false, "another agency"},
		{r(corridor.RoleAdmin), policy.ViewCase, policy.OwnAgency, false, "never sees"},
		{r(corridor.RoleCoordinator), policy.ListWork, policy.NoCase, false, "never personal data"},
		{r(corridor.RoleSupervisor), policy.ViewCase, policy.OtherCountry, false, "another country"},
		{r(corridor.RoleSupervisor), policy.ViewCase, policy.NoCase, false, "names none"},
		{r(corridor.RoleSupervisor), policy.ListWork, policy.OwnAgency, false, "not done to a case"},
		{r(corridor.RoleCaseworker), policy.AssignCase, policy.OwnAgency, false, "caseworker role may not assign"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.roles, tt.action, tt.own), func(t *testing.T) {
			t.Parallel()
			d := policy.Check(tt.roles, tt.action, tt.own)
			if d.Allowed != tt.allowed || !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("Check() = %+v, want allowed %v and a reason with %q", d, tt.allowed, tt.reason)
			}
			if policy.Allowed(tt.roles, tt.action, tt.own) != tt.allowed {
				t.Errorf("Allowed() disagrees with Check()")
			}
		})
	}
}

func TestRolesFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		action policy.Action
		own    policy.Ownership
		want   string
	}{
		{policy.FileReferral, policy.NoCase, "[inspector caseworker supervisor]"},
		{policy.AssignCase, policy.OwnAgency, "[supervisor]"},
		{policy.ViewFailedMessages, policy.NoCase, "[admin service]"},
		{policy.ViewCase, policy.OtherAgency, "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(policy.RolesFor(tt.action, tt.own)); got != tt.want {
			t.Errorf("RolesFor(%s, %s) = %s, want %s", tt.action, tt.own, got, tt.want)
		}
	}
}
