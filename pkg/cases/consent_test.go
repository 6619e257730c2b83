package cases

import (
	"slices"
	"testing"

	"github.com/corridor-org/corridor/pkg/corridor"
)

func TestCheckConsent(t *testing.T) {
	t.Parallel()
	override := func(role corridor.Role, by, reason string) *ConsentOverride {
		return &ConsentOverride{By: by, Role: role, Reason: reason}
	}
	tests := []struct {
		name       string
		c          Consent
		actor      corridor.Role
		wantKind   corridor.ErrorKind // empty for no error
		wantFields []string
	}{
		{"child consents to share abroad", Consent{GivenBy: ConsentByChild, ToShareAbroad: true}, corridor.RoleInspector, "", nil},
		{"caregiver consents to everything", Consent{GivenBy: ConsentByCaregiver, ToServices: true, ToShareAbroad: true}, corridor.RoleCaseworker, "", nil},
		{"consent without sharing abroad", Consent{GivenBy: ConsentByCaregiver, ToServices: true}, corridor.RoleInspector,
			corridor.KindInvalid, []string{"consent.to_share_abroad"}},
		{"consent from someone else", Consent{GivenBy: ConsentByOther, ToShareAbroad: true}, corridor.RoleInspector,
			corridor.KindInvalid, []string{"consent.given_by"}},
		{"no consent at all", Consent{}, corridor.RoleInspector,
			corridor.KindInvalid, []string{"consent.given_by", "consent.to_share_abroad"}},
		{"unknown giver", Consent{GivenBy: "neighbour", ToShareAbroad: true}, corridor.RoleInspector,
			corridor.KindInvalid, []string{"consent.given_by"}},
		{"supervisor overrides missing consent", Consent{Override: override(corridor.RoleSupervisor, "u-17", "child at immediate risk")}, corridor.RoleSupervisor, "", nil},
		{"supervisor overrides partial consent", Consent{GivenBy: ConsentByOther, Override: override(corridor.RoleSupervisor, "u-17", "caregiver unreachable")}, corridor.RoleSupervisor, "", nil},
		{"override without reason", Consent{Override: override(corridor.RoleSupervisor, "u-17", "  ")}, corridor.RoleSupervisor,
			corridor.KindInvalid, []string{"consent.override.reason"}},
		{"override without author", Consent{Override: override(corridor.RoleSupervisor, "", "risk")}, corridor.RoleSupervisor,
			corridor.KindInvalid, []string{"consent.override.by"}},
		{"override recorded with another role", Consent{Override: override(corridor.RoleCaseworker, "u-17", "risk")}, corridor.RoleSupervisor,
			corridor.KindInvalid, []string{"consent.override.role"}},
		{"override with an unknown giver", Consent{GivenBy: "x", Override: override(corridor.RoleSupervisor, "u-17", "risk")}, corridor.RoleSupervisor,
			corridor.KindInvalid, []string{"consent.given_by"}},
		{"inspector may not override", Consent{Override: override(corridor.RoleSupervisor, "u-17", "risk")}, corridor.RoleInspector,
			corridor.KindForbidden, []string{"consent.override"}},
		{"caseworker may not override", Consent{GivenBy: ConsentByChild, ToShareAbroad: true, Override: override(corridor.RoleCaseworker, "u-3", "risk")}, corridor.RoleCaseworker,
			corridor.KindForbidden, []string{"consent.override"}},
		{"coordinator may not override", Consent{Override: override(corridor.RoleSupervisor, "u-17", "risk")}, corridor.RoleCoordinator,
			corridor.KindForbidden, []string{"consent.override"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckConsent(tc.c, tc.actor)
			if tc.wantKind == "" {
				if err != nil {
					t.Fatalf("CheckConsent = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckConsent = nil, want a %s error", tc.wantKind)
			}
			if k := corridor.KindOf(err); k != tc.wantKind {
				t.Fatalf("kind = %s, want %s (%v)", k, tc.wantKind, err)
			}
			var fields []string
			for _, f := range err.(*corridor.Error).Fields {
				fields = append(fields, f.Field)
				if f.Message == "" {
					t.Errorf("field %s has no message", f.Field)
				}
			}
			if !slices.Equal(fields, tc.wantFields) {
				t.Errorf("fields = %v, want %v", fields, tc.wantFields)
			}
		})
	}
}
