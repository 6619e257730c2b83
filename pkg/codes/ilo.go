package codes

// The worst forms of child labour of ILO Convention No. 182, Article 3. The
// codes name the paragraph; (d) is refined by each country's own
// hazardous-work list (Art. 4) and by the R190 categories below.
var c182Categories = newList(
	Entry{"c182_3a", "All forms of slavery or practices similar to slavery, such as the sale and trafficking of children, debt bondage and serfdom and forced or compulsory labour, including forced or compulsory recruitment of children for use in armed conflict"},
	Entry{"c182_3b", "The use, procuring or offering of a child for prostitution, for the production of pornography or for pornographic performances"},
	Entry{"c182_3c", "The use, procuring or offering of a child for illicit activities, in particular for the production and trafficking of drugs"},
	Entry{"c182_3d", "Work which, by its nature or the circumstances in which it is carried out, is likely to harm the health, safety or morals of children (hazardous work)"},
)

// The hazard categories of ILO Recommendation No. 190, paragraph 3, which
// countries consider when drawing up their hazardous-work lists. The codes
// name the subparagraph.
var r190Hazards = newList(
	Entry{"r190_3a", "Work which exposes children to physical, psychological or sexual abuse"},
	Entry{"r190_3b", "Work underground, under water, at dangerous heights or in confined spaces"},
	Entry{"r190_3c", "Work with dangerous machinery, equipment and tools, or which involves the manual handling or transport of heavy loads"},
	Entry{"r190_3d", "Work in an unhealthy environment which may expose children to hazardous substances, agents or processes, or to temperatures, noise levels or vibrations damaging to their health"},
	Entry{"r190_3e", "Work under particularly difficult conditions such as work for long hours or during the night or work where the child is unreasonably confined to the premises of the employer"},
)

// The ILO's 11 indicators of forced labour (ILO Special Action Programme to
// Combat Forced Labour, "ILO Indicators of Forced Labour", 2012), in the
// ILO's order.
var forcedLabourIndicators = newList(
	Entry{"abuse_of_vulnerability", "Abuse of vulnerability"},
	Entry{"deception", "Deception"},
	Entry{"restriction_of_movement", "Restriction of movement"},
	Entry{"isolation", "Isolation"},
	Entry{"physical_and_sexual_violence", "Physical and sexual violence"},
	Entry{"intimidation_and_threats", "Intimidation and threats"},
	Entry{"retention_of_identity_documents", "Retention of identity documents"},
	Entry{"withholding_of_wages", "Withholding of wages"},
	Entry{"debt_bondage", "Debt bondage"},
	Entry{"abusive_working_and_living_conditions", "Abusive working and living conditions"},
	Entry{"excessive_overtime", "Excessive overtime"},
)

// How a child's age was established. Documents and registry records
// establish an age; the other methods estimate it, and the referral then
// says the age is estimated. Medical methods are listed because some countries
// use them, not as a recommendation: their margins of error are wide.
var ageMethods = newList(
	Entry{"identity_document", "Identity or travel document"},
	Entry{"civil_registry", "Civil registry record"},
	Entry{"dental", "Dental examination"},
	Entry{"skeletal_xray", "Skeletal X-ray"},
	Entry{"physical_appearance", "Physical appearance"},
	Entry{"psychosocial_interview", "Psychosocial interview"},
	Entry{"self_declared", "Declared by the child"},
	Entry{"other", "Other method"},
)

// C182Category returns the description of C182 Art. 3 category code
// ("c182_3d"), and whether there is one.
func C182Category(code string) (string, bool) { return c182Categories.lookup(code) }

// C182Categories returns the four categories, (a) to (d).
func C182Categories() []Entry { return c182Categories.all() }

// Hazard returns the description of R190 para. 3 hazard category code
// ("r190_3c"), and whether there is one.
func Hazard(code string) (string, bool) { return r190Hazards.lookup(code) }

// Hazards returns the five R190 hazard categories, (a) to (e).
func Hazards() []Entry { return r190Hazards.all() }

// ForcedLabourIndicator returns the name of forced-labour indicator code
// ("debt_bondage"), and whether there is one.
func ForcedLabourIndicator(code string) (string, bool) { return forcedLabourIndicators.lookup(code) }

// ForcedLabourIndicators returns the 11 indicators in the ILO's order.
func ForcedLabourIndicators() []Entry { return forcedLabourIndicators.all() }

// AgeMethod returns the name of age-assessment method code ("dental"), and
// whether there is one.
func AgeMethod(code string) (string, bool) { return ageMethods.lookup(code) }

// AgeMethods returns the age-assessment methods, documents first.
func AgeMethods() []Entry { return ageMethods.all() }

// The ILO's forced-labour indicators for children, from "Hard to see, harder
// to count: Survey guidelines to estimate forced labour of adults and
// children" (ILO SAP-FL and IPEC, 2nd ed., 2012). Forced labour of a child is
// work under one of three dimensions of involuntariness (unfree recruitment,
// work and life under duress, impossibility of leaving the employer), each
// shown by indicators, together with an indicator of the menace of a penalty
// applied to the child or the family. A child's consent does not count, so
// the dimensions list what was done to the child rather than what the child
// accepted. The codes are Corridor's own and start with their dimension
// ("recruitment_", "duress_", "leaving_", "penalty_"). The wording follows
// the guidelines' structure but is Corridor's: it could not be checked line
// by line against the publication when the list was written, so review it
// against the source before relying on it for statistics.
var childForcedLabourIndicators = newList(
	// Unfree recruitment.
	Entry{"recruitment_abduction", "Unfree recruitment: the child was abducted or kidnapped"},
	Entry{"recruitment_sale", "Unfree recruitment: the child was sold, or given away in exchange for money or goods"},
	Entry{"recruitment_debt", "Unfree recruitment: recruited in connection with a debt or an advance owed by the child or the family"},
	Entry{"recruitment_deception", "Unfree recruitment: deceived about the work, the place, the employer, the pay, schooling or contact with the family"},
	Entry{"recruitment_without_family", "Unfree recruitment: taken without the consent of the parents or guardians, or with consent obtained by deception or pressure"},
	Entry{"recruitment_trafficked", "Unfree recruitment: recruited, transported, transferred or received for exploitation (child trafficking)"},
	// Work and life under duress.
	Entry{"duress_excessive_hours", "Work and life under duress: forced overtime, night work or being on call beyond what is allowed at the child's age"},
	Entry{"duress_hazardous_work", "Work and life under duress: forced to do hazardous work"},
	Entry{"duress_illicit_activities", "Work and life under duress: forced to take part in illicit activities"},
	Entry{"duress_no_or_low_pay", "Work and life under duress: no pay, or pay far below what was promised or is due"},
	Entry{"duress_degrading_living_conditions", "Work and life under duress: degrading living conditions imposed by the employer"},
	Entry{"duress_restricted_movement_communication", "Work and life under duress: limited freedom of movement or of communication with the family"},
	Entry{"duress_no_schooling", "Work and life under duress: kept from school"},
	Entry{"duress_multiple_dependency", "Work and life under duress: dependent on the employer for housing, food or work for relatives"},
	// Impossibility of leaving the employer.
	Entry{"leaving_debt", "Impossibility of leaving: must work for an indefinite time to repay a debt or advance of the child or family"},
	Entry{"leaving_wages_due", "Impossibility of leaving: must stay to be paid wages due, or the family's payment depends on it"},
	Entry{"leaving_not_free", "Impossibility of leaving: not free to leave the employer or to return to the family"},
	// Menace of penalty, to the child or the family.
	Entry{"penalty_physical_sexual_violence", "Menace of penalty: physical or sexual violence"},
	Entry{"penalty_threats_child", "Menace of penalty: threats of violence, abandonment or denunciation against the child"},
	Entry{"penalty_threats_family", "Menace of penalty: threats against the child's family"},
	Entry{"penalty_confinement", "Menace of penalty: locked in or confined to the workplace or living quarters"},
	Entry{"penalty_isolation", "Menace of penalty: isolated from family and community"},
	Entry{"penalty_deprivation", "Menace of penalty: deprived of food, water, sleep or other basic needs"},
	Entry{"penalty_withheld_wages", "Menace of penalty: wages, or payments to the family, withheld"},
	Entry{"penalty_confiscated_documents", "Menace of penalty: identity documents confiscated"},
)

// ChildForcedLabourIndicator returns the description of child forced-labour
// indicator code ("recruitment_debt"), and whether there is one.
func ChildForcedLabourIndicator(code string) (string, bool) {
	return childForcedLabourIndicators.lookup(code)
}

// ChildForcedLabourIndicators returns the child forced-labour indicators,
// dimension by dimension, the menace of penalty last.
func ChildForcedLabourIndicators() []Entry { return childForcedLabourIndicators.all() }
