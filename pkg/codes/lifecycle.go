package codes

// The code lists of a case's life after the referral is accepted: the
// services a child receives, how a follow-up was made, the travel documents
// a handover needs, and why a case is closed. The codes are Corridor's own,
// shared by both countries so that each reads the other's records without
// translation; the names say what each means.

// The corridor's service types: the services an agency offers (the
// directory lists them per agency), a referral requests, and a caseworker
// records for a child after the handover.
var serviceTypes = newList(
	Entry{"family_tracing", "Family tracing"},
	Entry{"reunification", "Family reunification"},
	Entry{"medical", "Medical care"},
	Entry{"psychosocial", "Psychosocial support"},
	Entry{"education", "Education or school reintegration"},
	Entry{"vocational_training", "Vocational training or apprenticeship"},
	Entry{"legal", "Legal assistance"},
	Entry{"shelter", "Shelter or interim care"},
	Entry{"cash_transfer", "Cash transfer or income support to the family"},
)

// Where a service stands.
var serviceStatuses = newList(
	Entry{"planned", "Planned"},
	Entry{"in_progress", "In progress"},
	Entry{"done", "Completed"},
	Entry{"cancelled", "Cancelled"},
)

// How a follow-up was made.
var followUpMethods = newList(
	Entry{"home_visit", "Visit to the child's home"},
	Entry{"school_visit", "Visit to the child's school"},
	Entry{"office_visit", "The child or family came to the office"},
	Entry{"phone", "Telephone call"},
	Entry{"community_report", "Report from a community focal point"},
)

// The travel documents a child may need to cross the border at handover.
var travelDocuments = newList(
	Entry{"laissez_passer", "Laissez-passer or emergency travel document"},
	Entry{"passport", "Passport"},
	Entry{"national_id", "National identity card"},
	Entry{"birth_certificate", "Birth certificate"},
	Entry{"consular_card", "Consular registration card"},
	Entry{"ecowas_travel_certificate", "ECOWAS travel certificate"},
	Entry{"parental_authorisation", "Parental authorisation to travel"},
	Entry{"other", "Other document"},
)

// Why a case is closed.
var closureReasons = newList(
	Entry{"reunified_safe", "Reunified with the family and safe"},
	Entry{"stopped_working_in_school", "Stopped working and in school or training"},
	Entry{"transferred_national_system", "Transferred to the national child-protection system"},
	Entry{"lost_contact", "Contact with the child was lost"},
	Entry{"reached_majority", "The child reached majority"},
	Entry{"deceased", "The child died"},
	Entry{"other", "Other reason"},
)

// Why a planned handover did not happen.
var handoverFailureReasons = newList(
	Entry{"child_did_not_arrive", "The child did not arrive at the handover"},
	Entry{"child_ran_away", "The child ran away before or during the handover"},
	Entry{"border_closed", "The border post was closed"},
	Entry{"documents_missing", "Travel documents were missing or refused"},
	Entry{"escort_unavailable", "The escort or the receiving officer could not come"},
	Entry{"family_not_ready", "The family was not ready to receive the child"},
	Entry{"other", "Other reason"},
)

// Why a case after the handover is put on hold.
var suspensionReasons = newList(
	Entry{"child_missing", "The child cannot be found"},
	Entry{"child_ran_away", "The child ran away from home or care"},
	Entry{"family_moved", "The family moved and cannot be reached"},
	Entry{"other", "Other reason"},
)

// Why a suspended case goes on.
var resumptionReasons = newList(
	Entry{"child_found", "The child was found"},
	Entry{"family_reached", "The family was reached again"},
	Entry{"other", "Other reason"},
)

// Why a referral is called off before the handover.
var cancellationReasons = newList(
	Entry{"child_moved", "The child moved on and is no longer where the sender found them"},
	Entry{"child_refused", "The child does not want to return"},
	Entry{"family_refused", "The family refused to receive the child"},
	Entry{"not_in_best_interests", "Return was assessed as not in the child's best interests"},
	Entry{"handover_not_possible", "No handover could be arranged"},
	Entry{"other", "Other reason"},
)

// Why a referral should never have existed.
var enteredInErrorReasons = newList(
	Entry{"wrong_child", "The referral names the wrong child"},
	Entry{"duplicate", "The child's case was already referred"},
	Entry{"not_a_child", "The person was found to be an adult"},
	Entry{"other", "Other reason"},
)

// statusChangeReasons are the reason lists of the events that change a
// referral's status without a record of their own, by event name.
var statusChangeReasons = map[string]list{
	"report_handover_failed": handoverFailureReasons,
	"suspend":                suspensionReasons,
	"resume":                 resumptionReasons,
	"cancel":                 cancellationReasons,
	"mark_entered_in_error":  enteredInErrorReasons,
}

// StatusChangeReason returns the name of reason code for event ("cancel",
// "suspend", "resume", "report_handover_failed", "mark_entered_in_error"),
// and whether the event's list has it.
func StatusChangeReason(event, code string) (string, bool) {
	l, ok := statusChangeReasons[event]
	if !ok {
		return "", false
	}
	return l.lookup(code)
}

// StatusChangeReasons returns the reason list of event, or nil for an
// event without one.
func StatusChangeReasons(event string) []Entry {
	l, ok := statusChangeReasons[event]
	if !ok {
		return nil
	}
	return l.all()
}

// ServiceType returns the name of service code ("family_tracing"), and
// whether there is one.
func ServiceType(code string) (string, bool) { return serviceTypes.lookup(code) }

// ServiceTypes returns the services, in the list's order.
func ServiceTypes() []Entry { return serviceTypes.all() }

// ServiceTypeCodes returns the service codes alone, in the list's order.
func ServiceTypeCodes() []string {
	var out []string
	for _, e := range serviceTypes.all() {
		out = append(out, e.Code)
	}
	return out
}

// IsServiceType reports whether code is on the service-type list.
func IsServiceType(code string) bool { _, ok := ServiceType(code); return ok }

// ServiceStatus returns the name of a service status ("in_progress").
func ServiceStatus(code string) (string, bool) { return serviceStatuses.lookup(code) }

// ServiceStatuses returns the service statuses, planned to cancelled.
func ServiceStatuses() []Entry { return serviceStatuses.all() }

// FollowUpMethod returns the name of a follow-up method ("home_visit").
func FollowUpMethod(code string) (string, bool) { return followUpMethods.lookup(code) }

// FollowUpMethods returns the follow-up methods.
func FollowUpMethods() []Entry { return followUpMethods.all() }

// TravelDocument returns the name of a travel document type
// ("laissez_passer").
func TravelDocument(code string) (string, bool) { return travelDocuments.lookup(code) }

// TravelDocuments returns the travel document types.
func TravelDocuments() []Entry { return travelDocuments.all() }

// ClosureReason returns the name of a closure reason ("reunified_safe").
func ClosureReason(code string) (string, bool) { return closureReasons.lookup(code) }

// ClosureReasons returns the closure reasons, "other" last.
func ClosureReasons() []Entry { return closureReasons.all() }

// The validation tags of the lifecycle lists.
const (
	TagServiceType    = "service_type"
	TagServiceStatus  = "service_status"
	TagFollowUpMethod = "follow_up_method"
	TagTravelDocument = "travel_document"
	TagClosureReason  = "closure_reason"
)

// lifecycleRules are the tags Register adds for the lists above.
func lifecycleRules() []rule {
	return []rule{
		{TagServiceType, func(s string) bool { _, ok := ServiceType(s); return ok }},
		{TagServiceStatus, func(s string) bool { _, ok := ServiceStatus(s); return ok }},
		{TagFollowUpMethod, func(s string) bool { _, ok := FollowUpMethod(s); return ok }},
		{TagTravelDocument, func(s string) bool { _, ok := TravelDocument(s); return ok }},
		{TagClosureReason, func(s string) bool { _, ok := ClosureReason(s); return ok }},
	}
}
