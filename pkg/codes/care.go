package codes

// Where a child stays between identification and handover (interim care),
// after the forms of alternative care of the UN Guidelines for the
// Alternative Care of Children (A/RES/64/142, 2010) and the practice of
// transit centres for children on the move. Police custody and detention
// are listed because children are found there, not as care: a child held
// there is a protection concern (InterimCareIsProtectionConcern).
var interimCareTypes = newList(
	Entry{"transit_centre", "Transit centre"},
	Entry{"foster_family", "Foster family"},
	Entry{"relative", "Relative (kinship care)"},
	Entry{"shelter", "Shelter or residential care"},
	Entry{"hospital", "Hospital"},
	Entry{"police_custody", "Police station or custody"},
	Entry{"detention", "Detention (immigration or juvenile)"},
	Entry{"other", "Other"},
)

// The interim-care types that are a protection concern in themselves.
var protectionConcernCare = map[string]bool{"police_custody": true, "detention": true}

// Case-management systems a member's own case can live in, so that a
// referral can carry the member's own case identifier. The list names the
// systems of the field, not products Corridor integrates with.
var caseSystems = newList(
	Entry{"primero", "Primero (formerly CPIMS+), UNICEF's child-protection case management"},
	Entry{"clms", "A national child labour monitoring system"},
	Entry{"clmrs", "Child Labour Monitoring and Remediation System (ICI and cocoa companies)"},
	Entry{"other", "Another case-management system"},
)

// InterimCareType returns the name of interim-care type code
// ("transit_centre"), and whether there is one.
func InterimCareType(code string) (string, bool) { return interimCareTypes.lookup(code) }

// InterimCareTypes returns the interim-care types.
func InterimCareTypes() []Entry { return interimCareTypes.all() }

// InterimCareIsProtectionConcern reports whether a child in interim care of
// type code (police custody, detention) is a protection concern to flag.
func InterimCareIsProtectionConcern(code string) bool { return protectionConcernCare[code] }

// CaseSystem returns the name of case-management system code ("primero"),
// and whether there is one.
func CaseSystem(code string) (string, bool) { return caseSystems.lookup(code) }

// CaseSystems returns the case-management systems.
func CaseSystems() []Entry { return caseSystems.all() }
