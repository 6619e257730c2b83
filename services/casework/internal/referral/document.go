package referral

import (
	"slices"
	"time"

	"github.com/corridor-org/corridor/pkg/codes"
)

// Document is a referral as filed through the API and stored in the
// referrals table's details column. Field names and codes follow the wire
// payload (proto/corridor/v1) so that what one country files is what the
// other reads; enums are lower-case strings here.
//
// The validate tags express each field's own rules; Validate adds those that
// span fields or need the directory or the caller.
type Document struct {
	Kind              string    `json:"kind" validate:"required,oneof=responsibility service"`
	Recipient         Recipient `json:"recipient"`
	Reason            string    `json:"reason" validate:"required,max=2000"`
	Urgency           string    `json:"urgency" validate:"required,oneof=routine urgent asap"`
	RequestedServices []string  `json:"requested_services" validate:"required,min=1,max=20,unique,dive,required,max=64"`
	RespondBy         string    `json:"respond_by,omitempty" validate:"omitempty,datetime=2006-01-02"`
	SendingOfficer    *Officer  `json:"sending_officer,omitempty"`
	Child             Child     `json:"child"`
	Family            Family    `json:"family"`
	Consent           Consent   `json:"consent"`
	BestInterests     Interests `json:"best_interests"`
	Work              Work      `json:"work"`
	Trafficking       *Traffic  `json:"trafficking,omitempty"`
	Narrative         string    `json:"narrative,omitempty" validate:"max=20000"`
	// InterimCare is where the child is now and who is responsible.
	InterimCare *InterimCare `json:"interim_care,omitempty"`
	// NationalCaseIDs link the referral to the sending member's own case
	// in its case-management system.
	NationalCaseIDs []CaseID `json:"national_case_ids,omitempty" validate:"max=10,dive"`
}

// InterimCare is where the child stays between identification and
// handover, and who is responsible for the child there.
type InterimCare struct {
	Type string `json:"type" validate:"required,interim_care"`
	// Place is the ISO 3166-2 subdivision the child is in.
	Place    string `json:"place,omitempty" validate:"omitempty,iso3166_2"`
	Locality string `json:"locality,omitempty" validate:"max=200"`
	// Organisation and ResponsiblePerson say who answers for the child:
	// the centre, family or service, and the person there.
	Organisation      string   `json:"organisation,omitempty" validate:"required_without=ResponsiblePerson,max=200"`
	ResponsiblePerson string   `json:"responsible_person,omitempty" validate:"max=200"`
	Contact           *Contact `json:"contact,omitempty"`
	Since             string   `json:"since,omitempty" validate:"omitempty,datetime=2006-01-02"`
	Notes             string   `json:"notes,omitempty" validate:"max=2000"`
	// ProtectionConcern is set by the server, never read from a request:
	// true when the child is held by the police or detained.
	ProtectionConcern bool `json:"protection_concern,omitempty" validate:"isdefault"`
}

// CaseID is a case's identifier in a member's own case-management system.
type CaseID struct {
	System string `json:"system" validate:"required,case_system"`
	ID     string `json:"id" validate:"required,max=100"`
}

// Recipient is the agency asked to take the referral, from the directory.
type Recipient struct {
	Member string `json:"member" validate:"required,max=16"`
	Agency string `json:"agency" validate:"required,max=64"`
}

// Officer is the person acting for an agency. UserID is never read from a
// request: the server sets it from the caller's verified token.
type Officer struct {
	UserID  string   `json:"user_id,omitempty" validate:"isdefault"`
	Name    string   `json:"name,omitempty" validate:"max=200"`
	Title   string   `json:"title,omitempty" validate:"max=200"`
	Contact *Contact `json:"contact,omitempty"`
}

// Contact is a way to reach a person or an office.
type Contact struct {
	Phone string `json:"phone,omitempty" validate:"omitempty,e164"`
	Email string `json:"email,omitempty" validate:"omitempty,email,max=254"`
	Other string `json:"other,omitempty" validate:"max=500"`
}

// PersonName is a name as written in one script.
type PersonName struct {
	GivenNames  string `json:"given_names,omitempty" validate:"required_without=FullName,max=200"`
	FamilyNames string `json:"family_names,omitempty" validate:"max=200"`
	FullName    string `json:"full_name,omitempty" validate:"max=400"`
	Script      string `json:"script,omitempty" validate:"omitempty,bcp47"`
}

// Child identifies the child.
type Child struct {
	Name                PersonName  `json:"name"`
	NameLocalScript     *PersonName `json:"name_local_script,omitempty"`
	OtherNames          []string    `json:"other_names,omitempty" validate:"max=20,dive,required,max=200"`
	Sex                 string      `json:"sex" validate:"required,oneof=female male other unknown"`
	DateOfBirth         string      `json:"date_of_birth,omitempty" validate:"omitempty,partial_date"`
	AgeYears            *int        `json:"age_years,omitempty" validate:"required_without=DateOfBirth,omitempty,min=0,max=30"`
	AgeEstimated        bool        `json:"age_estimated"`
	AgeAssessmentMethod string      `json:"age_assessment_method,omitempty" validate:"required_if=AgeEstimated true,omitempty,age_method"`
	Nationalities       []string    `json:"nationalities,omitempty" validate:"max=5,unique,dive,iso3166_1"`
	Languages           []string    `json:"languages,omitempty" validate:"max=10,dive,bcp47"`
	IdentityDocuments   []IDDoc     `json:"identity_documents,omitempty" validate:"max=10,dive"`
}

// IDDoc is a document that identifies the child.
type IDDoc struct {
	Type           string `json:"type" validate:"required,oneof=birth_certificate national_id passport travel_document school_record other"`
	Number         string `json:"number,omitempty" validate:"max=100"`
	IssuingCountry string `json:"issuing_country,omitempty" validate:"omitempty,iso3166_1"`
	HeldBy         string `json:"held_by" validate:"required,oneof=child family employer recruiter authorities nobody unknown"`
}

// Family describes the child's guardians and the search for them.
type Family struct {
	Guardians     []Guardian `json:"guardians,omitempty" validate:"max=10,dive"`
	FamilyKnows   string     `json:"family_knows,omitempty" validate:"omitempty,oneof=yes no unknown"`
	TracingStatus string     `json:"tracing_status" validate:"required,oneof=not_started in_progress found not_found not_needed"`
}

// Guardian is a parent, relative or other person responsible for the child.
type Guardian struct {
	Name           PersonName `json:"name"`
	Relation       string     `json:"relation" validate:"required,oneof=mother father grandparent sibling aunt_uncle other_relative legal_guardian other"`
	Alive          string     `json:"alive,omitempty" validate:"omitempty,oneof=yes no unknown"`
	Place          string     `json:"place,omitempty" validate:"omitempty,iso3166_2"`
	Locality       string     `json:"locality,omitempty" validate:"max=200"`
	Contact        *Contact   `json:"contact,omitempty"`
	SafeToReturnTo string     `json:"safe_to_return_to,omitempty" validate:"omitempty,oneof=yes no unknown"`
}

// Consent records the consent behind the referral, or a supervisor's
// best-interests override when consent could not be obtained. The rules
// (pkg/cases.CheckConsent) are applied by Validate.
type Consent struct {
	GivenBy       string     `json:"given_by,omitempty" validate:"omitempty,oneof=child caregiver other"`
	GivenByOther  string     `json:"given_by_other,omitempty" validate:"required_if=GivenBy other,max=200"`
	ToServices    bool       `json:"to_services"`
	ToShareAbroad bool       `json:"to_share_abroad"`
	RecordedAt    string     `json:"recorded_at,omitempty" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	Withheld      []Withheld `json:"withheld,omitempty" validate:"max=20,dive"`
	LegalBasis    string     `json:"legal_basis,omitempty" validate:"max=500"`
	Override      *Override  `json:"override,omitempty"`
}

// Withheld is information left out at the child's or caregiver's request.
type Withheld struct {
	What string `json:"what" validate:"required,max=500"`
	Why  string `json:"why,omitempty" validate:"max=1000"`
}

// Override is a supervisor's decision to refer without consent. By, Role and
// DecidedAt come from the caller's verified token and the clock, never from
// the request body.
type Override struct {
	Reason    string `json:"reason" validate:"required,max=2000"`
	By        string `json:"by,omitempty" validate:"isdefault"`
	Role      string `json:"role,omitempty" validate:"isdefault"`
	DecidedAt string `json:"decided_at,omitempty" validate:"isdefault"`
}

// Interests summarises the child's protection needs.
type Interests struct {
	RiskLevel                string   `json:"risk_level" validate:"required,oneof=low medium high"`
	UrgentProtectionConcerns []string `json:"urgent_protection_concerns,omitempty" validate:"max=20,dive,required,max=500"`
	AssessmentStatus         string   `json:"assessment_status" validate:"required,oneof=not_started in_progress completed"`
}

// Work describes the work the child was found doing.
type Work struct {
	Place           string       `json:"place" validate:"required,iso3166_2"`
	Locality        string       `json:"locality,omitempty" validate:"max=200"`
	Coordinates     *Coordinates `json:"coordinates,omitempty"`
	FoundAt         string       `json:"found_at" validate:"required,datetime=2006-01-02T15:04:05Z07:00"`
	Sector          Sector       `json:"sector"`
	Occupation      string       `json:"occupation,omitempty" validate:"max=200"`
	HoursPerWeek    *int         `json:"hours_per_week,omitempty" validate:"omitempty,min=0,max=168"`
	NightWork       string       `json:"night_work,omitempty" validate:"omitempty,oneof=yes no unknown"`
	Hazards         []string     `json:"hazards,omitempty" validate:"max=5,unique,dive,r190_hazard"`
	NationalHazards []string     `json:"national_hazards,omitempty" validate:"max=50,unique,dive,required,max=64"`
	// C182Categories are the worst forms of C182 Art. 3 the work falls
	// under; a trafficked child doing hazardous work is under both (a) and
	// (d). C182Category is the single category of documents written before
	// the list: accepted on input, folded into C182Categories by Normalize.
	C182Categories   []string `json:"c182_categories,omitempty" validate:"max=4,unique,dive,c182_category"`
	C182Category     string   `json:"c182_category,omitempty" validate:"omitempty,c182_category"`
	BelowMinimumAge  string   `json:"below_minimum_age,omitempty" validate:"omitempty,oneof=yes no unknown"`
	SchoolAttendance string   `json:"school_attendance" validate:"required,oneof=regular irregular dropped_out never unknown"`
	Employer         *Party   `json:"employer,omitempty"`
	Recruiter        *Party   `json:"recruiter,omitempty"`
}

// Coordinates of a place, WGS 84 decimal degrees.
type Coordinates struct {
	Latitude  *float64 `json:"latitude" validate:"required,latitude"`
	Longitude *float64 `json:"longitude" validate:"required,longitude"`
}

// Sector is the ISIC Rev.4 activity the child worked in, as precisely as
// known: section, division, class ("0127", growing of beverage crops, for
// cocoa). The coordinator sees the section only.
type Sector struct {
	Section  string `json:"section" validate:"required,isic_section"`
	Division string `json:"division,omitempty" validate:"omitempty,isic_division"`
	Class    string `json:"class,omitempty" validate:"omitempty,isic_class"`
}

// Party is an employer or a recruiter: recorded with care, since the
// referral may reach people who know them.
type Party struct {
	Name    string   `json:"name,omitempty" validate:"max=200"`
	Role    string   `json:"role,omitempty" validate:"max=200"`
	Contact *Contact `json:"contact,omitempty"`
	Place   string   `json:"place,omitempty" validate:"omitempty,iso3166_2"`
	Notes   string   `json:"notes,omitempty" validate:"max=2000"`
}

// Traffic records signs of trafficking and forced labour.
type Traffic struct {
	Status                 string   `json:"status" validate:"required,oneof=possible actual not_a_victim"`
	ForcedLabourIndicators []string `json:"forced_labour_indicators,omitempty" validate:"max=11,unique,dive,fl_indicator"`
	Recruitment            string   `json:"recruitment,omitempty" validate:"omitempty,oneof=family broker employer self other unknown"`
	RecruitmentNotes       string   `json:"recruitment_notes,omitempty" validate:"max=2000"`
	ExploitationPlaces     []string `json:"exploitation_places,omitempty" validate:"max=20,unique,dive,iso3166_2"`
	MigrationStatus        string   `json:"migration_status,omitempty" validate:"omitempty,migration_status"`
	// ChildForcedLabourIndicators are the ILO's indicators of forced labour
	// of children observed, beside the 11 general ones above.
	ChildForcedLabourIndicators []string `json:"child_forced_labour_indicators,omitempty" validate:"max=25,unique,dive,child_fl_indicator"`
	// MethodsOfControl and ExploitationTypes code what HTCDS calls them.
	MethodsOfControl  []string `json:"methods_of_control,omitempty" validate:"max=17,unique,dive,htcds_control"`
	ExploitationTypes []string `json:"exploitation_types,omitempty" validate:"max=11,unique,dive,htcds_exploitation"`
}

// Display is the name as a list shows it: the full name when recorded,
// otherwise given and family names.
func (n PersonName) Display() string {
	if n.FullName != "" {
		return n.FullName
	}
	switch {
	case n.GivenNames == "":
		return n.FamilyNames
	case n.FamilyNames == "":
		return n.GivenNames
	}
	return n.GivenNames + " " + n.FamilyNames
}

// Normalize puts a validated document in the canonical form it is stored
// and sent in, so that both countries hold the same text: times in UTC at
// the wire's microsecond precision, language tags in their canonical case,
// the C182 category in the list, the ISIC division of a class filled in,
// and the protection concern of interim care set.
func (d *Document) Normalize() {
	d.Work.C182Categories = MergeC182(d.Work.C182Category, d.Work.C182Categories)
	d.Work.C182Category = ""
	if s := &d.Work.Sector; s.Class != "" && s.Division == "" {
		if c, ok := codes.ISICClass(s.Class); ok {
			s.Division = c.Division
		}
	}
	if c := d.InterimCare; c != nil {
		c.ProtectionConcern = codes.InterimCareIsProtectionConcern(c.Type)
	}
	d.Consent.RecordedAt = canonicalTime(d.Consent.RecordedAt)
	d.Work.FoundAt = canonicalTime(d.Work.FoundAt)
	for i, l := range d.Child.Languages {
		d.Child.Languages[i] = canonicalLanguage(l)
	}
	for _, n := range []*PersonName{&d.Child.Name, d.Child.NameLocalScript} {
		if n != nil {
			n.Script = canonicalLanguage(n.Script)
		}
	}
	for i := range d.Family.Guardians {
		g := &d.Family.Guardians[i]
		g.Name.Script = canonicalLanguage(g.Name.Script)
	}
}

// MergeC182 is the list of C182 categories with the single category of an
// older document in it, first when it was not there already.
func MergeC182(single string, list []string) []string {
	if single == "" || slices.Contains(list, single) {
		return list
	}
	return append([]string{single}, list...)
}

func canonicalTime(s string) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return FormatTime(t)
}

// FormatTime writes an instant as the document holds it.
func FormatTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
}

func canonicalLanguage(tag string) string {
	if tag == "" {
		return ""
	}
	c, err := codes.Language(tag)
	if err != nil {
		return tag
	}
	return c
}
