// Package policy decides who may do what in Corridor: one table of role ×
// action × ownership, in plain Go, that casework, the relay and the
// coordinator ask instead of checking roles themselves, so that least
// privilege is one decision, written and tested once.
//
// The rules, by role:
//   - inspector: files referrals; sees their agency's; acts on those they
//     filed or were assigned.
//   - caseworker: files referrals; sees and acts on their agency's.
//   - supervisor: what a caseworker may, and assigns their agency's cases,
//     overrides consent (with a reason, when filing), approves closures and
//     sees the agency's overview.
//   - admin (country administrator): the directory, keys, failed and
//     quarantined messages; never a case's content.
//   - auditor: reads the audit trail, nothing else.
//   - coordinator: the coordinator's views only; never personal data.
//   - service (a machine client): sees failed and quarantined messages,
//     which carry identifiers, never personal data.
//
// No role reaches another agency's or another country's case: a country's
// cases are its agencies' business, and a referral crosses the border as a
// message, never as access.
package policy

import (
	"slices"

	"github.com/corridor-org/corridor/pkg/corridor"
)

// Action is something a person or a machine asks to do.
type Action string

// The actions.
const (
	FileReferral        Action = "file_referral"         // file (send) a referral, or re-refer one
	ViewCase            Action = "view_case"             // read a referral with its document and history
	ActOnCase           Action = "act_on_case"           // cause a case event (accept, withdraw, close, …)
	AssignCase          Action = "assign_case"           // give a case to a user of the agency
	OverrideConsent     Action = "override_consent"      // file without consent, in the child's best interests
	ApproveClosure      Action = "approve_closure"       // approve a caseworker's closing of a case
	ListWork            Action = "list_work"             // list the agency's referrals and work queues
	OverseeAgency       Action = "oversee_agency"        // the agency's overview: its referrals counted by status
	ViewFailedMessages  Action = "view_failed_messages"  // list failed inbox and quarantined messages
	RetryFailedMessages Action = "retry_failed_messages" // retry a failed message, release a quarantined one
	AdministerDirectory Action = "administer_directory"  // the corridor directory and the country's keys
	ReadAuditTrail      Action = "read_audit_trail"      // read, verify and export the audit trail
	ViewCoordinator     Action = "view_coordinator"      // the coordinator's PII-free views
)

// Actions returns every action.
func Actions() []Action {
	return []Action{FileReferral, ViewCase, ActOnCase, AssignCase, OverrideConsent, ApproveClosure, ListWork,
		OverseeAgency, ViewFailedMessages, RetryFailedMessages, AdministerDirectory, ReadAuditTrail, ViewCoordinator}
}

// OnCase reports whether a is done to one case, so that whose case it is
// matters; the other actions are done to no case (NoCase).
func (a Action) OnCase() bool {
	switch a {
	case ViewCase, ActOnCase, AssignCase, ApproveClosure:
		return true
	}
	return false
}

// Ownership is how the caller stands to the case an action is done to,
// the closest relation first.
type Ownership string

// The ownerships.
const (
	NoCase       Ownership = "no_case"        // the action is done to no one case
	FiledByMe    Ownership = "filed_by_me"    // the caller filed the referral, for their agency
	AssignedToMe Ownership = "assigned_to_me" // a supervisor of the caller's agency assigned it to the caller
	OwnAgency    Ownership = "own_agency"     // the caller's agency holds it
	OtherAgency  Ownership = "other_agency"   // another agency of the caller's country holds it
	OtherCountry Ownership = "other_country"  // it is held in another country
)

// Ownerships returns every ownership.
func Ownerships() []Ownership {
	return []Ownership{NoCase, FiledByMe, AssignedToMe, OwnAgency, OtherAgency, OtherCountry}
}

// mine reports whether o is one of the caller's agency's cases.
func (o Ownership) mine() bool { return o == FiledByMe || o == AssignedToMe || o == OwnAgency }

// Decision is the policy's answer, with its reason in words a caller can
// be shown.
type Decision struct {
	Allowed bool
	Reason  string
}

func allow(reason string) Decision { return Decision{Allowed: true, Reason: reason} }
func deny(reason string) Decision  { return Decision{Reason: reason} }

// Decide answers whether one role may do a to a case it stands to as o.
func Decide(role corridor.Role, a Action, o Ownership) Decision {
	if a.OnCase() == (o == NoCase) {
		if o == NoCase {
			return deny("this action is done to a case, and names none")
		}
		return deny("this action is not done to a case")
	}
	if a.OnCase() {
		switch o {
		case OtherCountry:
			return deny("the case is held in another country; it reaches this one only as messages")
		case OtherAgency:
			return deny("the case is held by another agency")
		}
	}
	switch role {
	case corridor.RoleInspector:
		switch {
		case a == FileReferral:
			return allow("inspectors file referrals")
		case a == ListWork:
			return allow("inspectors list their agency's referrals")
		case a == ViewCase:
			return allow("inspectors see their agency's referrals")
		case a == ActOnCase && (o == FiledByMe || o == AssignedToMe):
			return allow("inspectors act on the referrals they filed or were assigned")
		case a == ActOnCase:
			return deny("an inspector acts only on the referrals they filed or were assigned; a supervisor of the agency may act for them")
		}
	case corridor.RoleCaseworker:
		switch {
		case a == FileReferral:
			return allow("caseworkers file referrals")
		case a == ListWork:
			return allow("caseworkers list their agency's referrals")
		case (a == ViewCase || a == ActOnCase) && o.mine():
			return allow("caseworkers handle their agency's cases")
		}
	case corridor.RoleSupervisor:
		switch {
		case a == FileReferral:
			return allow("supervisors file referrals")
		case a == ListWork:
			return allow("supervisors list their agency's referrals")
		case a == OverrideConsent:
			return allow("supervisors may override consent in the child's best interests, with a reason")
		case a == OverseeAgency:
			return allow("supervisors see their agency's overview")
		case (a == ViewCase || a == ActOnCase || a == AssignCase || a == ApproveClosure) && o.mine():
			return allow("supervisors oversee their agency's cases")
		}
	case corridor.RoleAdmin:
		switch a {
		case ViewFailedMessages, RetryFailedMessages:
			return allow("country administrators handle failed and quarantined messages")
		case AdministerDirectory:
			return allow("country administrators keep the directory and the keys")
		}
		if a.OnCase() || a == FileReferral || a == ListWork || a == OverseeAgency || a == OverrideConsent {
			return deny("a country administrator never sees a case's content")
		}
	case corridor.RoleAuditor:
		if a == ReadAuditTrail {
			return allow("auditors read the audit trail")
		}
		return deny("an auditor reads the audit trail only")
	case corridor.RoleCoordinator:
		if a == ViewCoordinator {
			return allow("coordinators see the corridor's PII-free tracking")
		}
		return deny("a coordinator sees the coordinator's views only, never personal data")
	case corridor.RoleService:
		if a == ViewFailedMessages {
			return allow("machine clients may watch failed and quarantined messages, which carry no personal data")
		}
		return deny("a machine client may only watch failed and quarantined messages")
	default:
		return deny("not a corridor role")
	}
	return deny("the " + string(role) + " role may not " + phrase(a))
}

// Check answers for a caller holding roles: allowed when one of them is
// allowed; otherwise denied, with the reason of the first role (or of
// holding none).
func Check(roles []corridor.Role, a Action, o Ownership) Decision {
	if len(roles) == 0 {
		return deny("the caller holds no corridor role")
	}
	var first Decision
	for i, r := range roles {
		d := Decide(r, a, o)
		if d.Allowed {
			return d
		}
		if i == 0 {
			first = d
		}
	}
	return first
}

// Allowed reports whether a caller holding roles may do a as o.
func Allowed(roles []corridor.Role, a Action, o Ownership) bool { return Check(roles, a, o).Allowed }

// RolesFor returns the roles that may do a to a case standing as o, in
// corridor.Roles order: what a message says a refused caller needs.
func RolesFor(a Action, o Ownership) []corridor.Role {
	var out []corridor.Role
	for _, r := range corridor.Roles() {
		if Decide(r, a, o).Allowed {
			out = append(out, r)
		}
	}
	return slices.Clip(out)
}

// phrase names an action in a sentence.
func phrase(a Action) string {
	switch a {
	case FileReferral:
		return "file referrals"
	case ViewCase:
		return "see this case"
	case ActOnCase:
		return "act on this case"
	case AssignCase:
		return "assign cases"
	case OverrideConsent:
		return "override consent"
	case ApproveClosure:
		return "approve closures"
	case ListWork:
		return "list referrals"
	case OverseeAgency:
		return "see the agency's overview"
	case ViewFailedMessages:
		return "see failed and quarantined messages"
	case RetryFailedMessages:
		return "retry or release failed and quarantined messages"
	case AdministerDirectory:
		return "administer the directory and keys"
	case ReadAuditTrail:
		return "read the audit trail"
	case ViewCoordinator:
		return "use the coordinator's views"
	}
	return string(a)
}
