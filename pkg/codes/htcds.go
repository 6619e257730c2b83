package codes

// Lists of IOM's Human Trafficking Case Data Standard (HTCDS), version 2.0
// (24 December 2021, https://github.com/UNMigration/HTCDS, CC BY 4.0). The
// codes are Corridor's snake_case spelling of HTCDS's value names, so that
// they read like the package's other codes; each list says which HTCDS
// field it codes.

// Methods of control, HTCDS field vic_MethodsOfControl, as its field
// definitions ("Field Definitions.md", section "Methods Of Control") list
// them: 17 methods, in that order. The standard's spreadsheet (HTCDS Field
// Standards 2.0.ods) lists a slightly different picklist of 16 (it splits
// threats into physical threats and threats to children or family, and has
// no "restricts movement" or "uses children"); the definitions, which say
// what each value means, are followed here.
var methodsOfControl = newList(
	Entry{"debt_bondage", "Debt bondage"},
	Entry{"takes_earnings", "Takes earnings"},
	Entry{"restricts_financial_access", "Restricts financial access"},
	Entry{"threats", "Threats"},
	Entry{"psychological_abuse", "Psychological abuse"},
	Entry{"physical_abuse", "Physical abuse"},
	Entry{"sexual_abuse", "Sexual abuse"},
	Entry{"false_promises", "False promises"},
	Entry{"psychoactive_substances", "Psychoactive substances"},
	Entry{"restricts_movement", "Restricts movement"},
	Entry{"restricts_medical_care", "Restricts medical care"},
	Entry{"excessive_working_hours", "Excessive working hours"},
	Entry{"uses_children", "Uses children"},
	Entry{"threat_of_law_enforcement", "Threat of law enforcement"},
	Entry{"withholds_necessities", "Withholds necessities"},
	Entry{"withholds_documents", "Withholds documents"},
	Entry{"other", "Other"},
)

// Types of exploitation, HTCDS field vic_TypeOfExploitation (HTCDS Field
// Standards 2.0), in the standard's order.
var exploitationTypes = newList(
	Entry{"forced_labour", "Forced labour"},
	Entry{"sexual_exploitation", "Sexual exploitation"},
	Entry{"child_labour", "Child labour"},
	Entry{"forced_marriage", "Forced marriage"},
	Entry{"servitude", "Servitude"},
	Entry{"forced_military", "Forced military (by non-state actors)"},
	Entry{"organ_removal", "Organ removal"},
	Entry{"forced_begging", "Forced begging"},
	Entry{"forced_adoption", "Forced adoption"},
	Entry{"surrogacy", "Surrogacy"},
	Entry{"other", "Other"},
)

// Migration and international-protection status, from HTCDS 2.0's guidance
// "Migration and International Protection" (migrant type, international
// protection, other). The first eight codes are the ones Corridor's
// referral accepted before the list was taken from HTCDS, kept so that old
// referrals stay valid: "irregular" and "stranded" are HTCDS's irregular
// and stranded migrant, and HTCDS's "separated or unaccompanied child" is
// kept as the two statuses child-protection practice distinguishes
// (unaccompanied: separated from both parents and all relatives; separated:
// from both parents but possibly with other relatives).
var migrationStatuses = newList(
	Entry{"labour_migrant", "Labour migrant"},
	Entry{"irregular", "Irregular migrant"},
	Entry{"stranded", "Stranded migrant"},
	Entry{"returnee", "Returnee"},
	Entry{"unaccompanied_child", "Unaccompanied child"},
	Entry{"separated_child", "Separated child"},
	Entry{"other", "Other"},
	Entry{"unknown", "Unknown"},
	Entry{"family_migrant", "Family migrant"},
	Entry{"visitor_migrant", "Visitor or tourist migrant"},
	Entry{"student_migrant", "Student migrant"},
	Entry{"asylum_seeker", "Asylum seeker"},
	Entry{"refugee", "Refugee"},
	Entry{"complementary_protection", "Recipient of complementary protection"},
	Entry{"stateless", "Stateless person"},
	Entry{"environmental_migrant", "Environmental migrant"},
	Entry{"vulnerable_migrant", "Vulnerable migrant"},
	Entry{"forced_migrant", "Forced migrant"},
	Entry{"deportee", "Deportee"},
	Entry{"ex_combatant", "Ex-combatant"},
	Entry{"internally_displaced", "Internally displaced person"},
)

// MethodOfControl returns the name of HTCDS method-of-control code
// ("debt_bondage"), and whether there is one.
func MethodOfControl(code string) (string, bool) { return methodsOfControl.lookup(code) }

// MethodsOfControl returns the 17 HTCDS methods of control.
func MethodsOfControl() []Entry { return methodsOfControl.all() }

// ExploitationType returns the name of HTCDS type-of-exploitation code
// ("forced_labour"), and whether there is one.
func ExploitationType(code string) (string, bool) { return exploitationTypes.lookup(code) }

// ExploitationTypes returns the 11 HTCDS types of exploitation.
func ExploitationTypes() []Entry { return exploitationTypes.all() }

// MigrationStatus returns the name of migration-status code
// ("unaccompanied_child"), and whether there is one.
func MigrationStatus(code string) (string, bool) { return migrationStatuses.lookup(code) }

// MigrationStatuses returns the migration statuses, Corridor's first codes
// first.
func MigrationStatuses() []Entry { return migrationStatuses.all() }
