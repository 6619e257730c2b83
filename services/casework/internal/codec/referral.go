package codec

import (
	"fmt"
	"strings"
	"time"

	"github.com/corridor-org/corridor/pkg/codes"
	corridorv1 "github.com/corridor-org/corridor/proto/corridor/v1"
	"github.com/corridor-org/corridor/services/casework/internal/referral"
)

// Routing is what a referral payload says about itself besides the
// document: identifiers, the sending end and the status it was sent from.
type Routing struct {
	ReferralID   string
	CaseRef      string
	BaseStatus   string
	SenderMember string
	SenderAgency string
	SenderUserID string
	// PreviousReferralID is the referral this one re-refers, if any.
	PreviousReferralID string
}

// ToProto maps d to the payload of a "referral" message.
func ToProto(d *Document, r Routing) *corridorv1.Referral {
	officer := &corridorv1.Officer{UserId: r.SenderUserID}
	if o := d.SendingOfficer; o != nil {
		officer.Name, officer.Title, officer.Contact = o.Name, o.Title, contactToProto(o.Contact)
	}
	out := &corridorv1.Referral{
		ReferralId: r.ReferralID,
		BaseStatus: r.BaseStatus,
		Routing: &corridorv1.Routing{
			CaseRef:            r.CaseRef,
			SenderMember:       r.SenderMember,
			SenderAgency:       r.SenderAgency,
			SendingOfficer:     officer,
			RecipientMember:    d.Recipient.Member,
			RecipientAgency:    d.Recipient.Agency,
			Kind:               corridorv1.ReferralKind(toEnum(d.Kind, "REFERRAL_KIND_", corridorv1.ReferralKind_value)),
			Reason:             d.Reason,
			Urgency:            corridorv1.Urgency(toEnum(d.Urgency, "URGENCY_", corridorv1.Urgency_value)),
			RequestedServices:  clone(d.RequestedServices),
			RespondBy:          d.RespondBy,
			PreviousReferralId: r.PreviousReferralID,
		},
		Child:           childToProto(&d.Child),
		Family:          familyToProto(&d.Family),
		Consent:         consentToProto(&d.Consent),
		BestInterests:   bestInterestsToProto(&d.BestInterests),
		Trafficking:     traffickingToProto(d.Trafficking),
		Work:            workToProto(&d.Work),
		Narrative:       d.Narrative,
		InterimCare:     interimCareToProto(d.InterimCare),
		NationalCaseIds: caseIDsToProto(d.NationalCaseIDs),
	}
	return out
}

func bestInterestsToProto(b *Interests) *corridorv1.BestInterests {
	return &corridorv1.BestInterests{
		RiskLevel:                corridorv1.RiskLevel(toEnum(b.RiskLevel, "RISK_LEVEL_", corridorv1.RiskLevel_value)),
		UrgentProtectionConcerns: clone(b.UrgentProtectionConcerns),
		AssessmentStatus:         corridorv1.AssessmentStatus(toEnum(b.AssessmentStatus, "ASSESSMENT_STATUS_", corridorv1.AssessmentStatus_value)),
	}
}

func bestInterestsFromProto(b *corridorv1.BestInterests) Interests {
	return Interests{
		RiskLevel:                fromEnum(b.GetRiskLevel().String(), "RISK_LEVEL_"),
		UrgentProtectionConcerns: clone(b.GetUrgentProtectionConcerns()),
		AssessmentStatus:         fromEnum(b.GetAssessmentStatus().String(), "ASSESSMENT_STATUS_"),
	}
}

func traffickingToProto(t *Traffic) *corridorv1.Trafficking {
	if t == nil {
		return nil
	}
	return &corridorv1.Trafficking{
		Status:                 corridorv1.TraffickingStatus(toEnum(t.Status, "TRAFFICKING_STATUS_", corridorv1.TraffickingStatus_value)),
		ForcedLabourIndicators: clone(t.ForcedLabourIndicators),
		Recruitment:            t.Recruitment,
		RecruitmentNotes:       t.RecruitmentNotes,
		ExploitationPlaces:     clone(t.ExploitationPlaces),
		MigrationStatus:        t.MigrationStatus,

		ChildForcedLabourIndicators: clone(t.ChildForcedLabourIndicators),
		MethodsOfControl:            clone(t.MethodsOfControl),
		ExploitationTypes:           clone(t.ExploitationTypes),
	}
}

func traffickingFromProto(t *corridorv1.Trafficking) *Traffic {
	if t == nil {
		return nil
	}
	return &Traffic{
		Status:                 fromEnum(t.GetStatus().String(), "TRAFFICKING_STATUS_"),
		ForcedLabourIndicators: clone(t.GetForcedLabourIndicators()),
		Recruitment:            t.GetRecruitment(),
		RecruitmentNotes:       t.GetRecruitmentNotes(),
		ExploitationPlaces:     clone(t.GetExploitationPlaces()),
		MigrationStatus:        t.GetMigrationStatus(),

		ChildForcedLabourIndicators: clone(t.GetChildForcedLabourIndicators()),
		MethodsOfControl:            clone(t.GetMethodsOfControl()),
		ExploitationTypes:           clone(t.GetExploitationTypes()),
	}
}

func interimCareToProto(c *InterimCare) *corridorv1.InterimCare {
	if c == nil {
		return nil
	}
	return &corridorv1.InterimCare{
		Type: c.Type, Place: c.Place, Locality: c.Locality, Organisation: c.Organisation,
		ResponsiblePerson: c.ResponsiblePerson, Contact: contactToProto(c.Contact), Since: c.Since,
		Notes: c.Notes, ProtectionConcern: c.ProtectionConcern,
	}
}

func caseIDsToProto(ids []CaseID) []*corridorv1.CaseIdentifier {
	var out []*corridorv1.CaseIdentifier
	for _, id := range ids {
		out = append(out, &corridorv1.CaseIdentifier{System: id.System, Id: id.ID})
	}
	return out
}

func childToProto(c *Child) *corridorv1.Child {
	out := &corridorv1.Child{
		Name:                nameToProto(&c.Name),
		OtherNames:          clone(c.OtherNames),
		Sex:                 corridorv1.Sex(toEnum(c.Sex, "SEX_", corridorv1.Sex_value)),
		DateOfBirth:         c.DateOfBirth,
		AgeEstimated:        c.AgeEstimated,
		AgeAssessmentMethod: c.AgeAssessmentMethod,
		Nationalities:       clone(c.Nationalities),
		Languages:           clone(c.Languages),
	}
	if c.NameLocalScript != nil {
		out.NameLocalScript = nameToProto(c.NameLocalScript)
	}
	if c.AgeYears != nil {
		out.AgeYears = int32(*c.AgeYears)
	}
	for _, d := range c.IdentityDocuments {
		out.IdentityDocuments = append(out.IdentityDocuments, &corridorv1.IdentityDocument{
			Type: d.Type, Number: d.Number, IssuingCountry: d.IssuingCountry, HeldBy: d.HeldBy,
		})
	}
	return out
}

func familyToProto(f *Family) *corridorv1.Family {
	out := &corridorv1.Family{
		FamilyKnows:   answerToProto(f.FamilyKnows),
		TracingStatus: corridorv1.TracingStatus(toEnum(f.TracingStatus, "TRACING_STATUS_", corridorv1.TracingStatus_value)),
	}
	for _, g := range f.Guardians {
		out.Guardians = append(out.Guardians, &corridorv1.Guardian{
			Name:           nameToProto(&g.Name),
			Relation:       g.Relation,
			Alive:          answerToProto(g.Alive),
			Place:          g.Place,
			Locality:       g.Locality,
			Contact:        contactToProto(g.Contact),
			SafeToReturnTo: answerToProto(g.SafeToReturnTo),
		})
	}
	return out
}

func consentToProto(c *Consent) *corridorv1.Consent {
	out := &corridorv1.Consent{
		GivenBy:       corridorv1.ConsentGiver(toEnum(c.GivenBy, "CONSENT_GIVER_", corridorv1.ConsentGiver_value)),
		GivenByOther:  c.GivenByOther,
		ToServices:    c.ToServices,
		ToShareAbroad: c.ToShareAbroad,
		RecordedAt:    micros(c.RecordedAt),
		LegalBasis:    c.LegalBasis,
	}
	for _, w := range c.Withheld {
		out.Withheld = append(out.Withheld, &corridorv1.WithheldInformation{What: w.What, Why: w.Why})
	}
	if o := c.Override; o != nil {
		out.Override = &corridorv1.BestInterestsOverride{
			Supervisor: &corridorv1.Officer{UserId: o.By, Title: o.Role},
			Reason:     o.Reason,
			DecidedAt:  micros(o.DecidedAt),
		}
	}
	return out
}

func workToProto(w *Work) *corridorv1.Work {
	c182 := referral.MergeC182(w.C182Category, w.C182Categories)
	out := &corridorv1.Work{
		Place:            w.Place,
		Locality:         w.Locality,
		FoundAt:          micros(w.FoundAt),
		Sector:           w.Sector.Section,
		Occupation:       w.Occupation,
		NightWork:        answerToProto(w.NightWork),
		Hazards:          clone(w.Hazards),
		NationalHazards:  clone(w.NationalHazards),
		C182Categories:   clone(c182),
		BelowMinimumAge:  answerToProto(w.BelowMinimumAge),
		SchoolAttendance: corridorv1.SchoolAttendance(toEnum(w.SchoolAttendance, "SCHOOL_ATTENDANCE_", corridorv1.SchoolAttendance_value)),
		Employer:         partyToProto(w.Employer),
		Recruiter:        partyToProto(w.Recruiter),
	}
	if len(c182) > 0 {
		// For recipients built before the list, which read this field only.
		//lint:ignore SA1019 deprecated on purpose: older readers need it
		out.C182Category = c182[0]
	}
	// The wire carries the most precise ISIC code known; the reader derives
	// the coarser ones from it.
	switch {
	case w.Sector.Class != "":
		out.Sector = w.Sector.Class
	case w.Sector.Division != "":
		out.Sector = w.Sector.Division
	}
	if w.Coordinates != nil && w.Coordinates.Latitude != nil && w.Coordinates.Longitude != nil {
		out.Coordinates = &corridorv1.Coordinates{Latitude: *w.Coordinates.Latitude, Longitude: *w.Coordinates.Longitude}
	}
	if w.HoursPerWeek != nil {
		out.HoursPerWeek = int32(*w.HoursPerWeek)
	}
	return out
}

func nameToProto(n *PersonName) *corridorv1.PersonName {
	return &corridorv1.PersonName{GivenNames: n.GivenNames, FamilyNames: n.FamilyNames, FullName: n.FullName, Script: n.Script}
}

func contactToProto(c *Contact) *corridorv1.Contact {
	if c == nil {
		return nil
	}
	return &corridorv1.Contact{Phone: c.Phone, Email: c.Email, Other: c.Other}
}

func partyToProto(p *Party) *corridorv1.Party {
	if p == nil {
		return nil
	}
	return &corridorv1.Party{Name: p.Name, Role: p.Role, Contact: contactToProto(p.Contact), Place: p.Place, Notes: p.Notes}
}

func answerToProto(s string) corridorv1.Answer {
	return corridorv1.Answer(toEnum(s, "ANSWER_", corridorv1.Answer_value))
}

// FromProto maps a received "referral" payload back to a document and its
// routing. It fails only on what the receiving side cannot store: a
// payload without routing or referral id. The document is not validated
// here: the sender validated it, and the recipient shows what it received.
func FromProto(p *corridorv1.Referral) (*Document, Routing, error) {
	rt := p.GetRouting()
	if rt == nil || p.GetReferralId() == "" || rt.GetCaseRef() == "" {
		return nil, Routing{}, fmt.Errorf("decode referral: no referral id, case reference or routing")
	}
	routing := Routing{
		ReferralID:         p.GetReferralId(),
		CaseRef:            rt.GetCaseRef(),
		BaseStatus:         p.GetBaseStatus(),
		SenderMember:       rt.GetSenderMember(),
		SenderAgency:       rt.GetSenderAgency(),
		SenderUserID:       rt.GetSendingOfficer().GetUserId(),
		PreviousReferralID: rt.GetPreviousReferralId(),
	}
	d := &Document{
		Kind:              fromEnum(rt.GetKind().String(), "REFERRAL_KIND_"),
		Recipient:         Recipient{Member: rt.GetRecipientMember(), Agency: rt.GetRecipientAgency()},
		Reason:            rt.GetReason(),
		Urgency:           fromEnum(rt.GetUrgency().String(), "URGENCY_"),
		RequestedServices: clone(rt.GetRequestedServices()),
		RespondBy:         rt.GetRespondBy(),
		Child:             childFromProto(p.GetChild()),
		Family:            familyFromProto(p.GetFamily()),
		Consent:           consentFromProto(p.GetConsent()),
		BestInterests:     bestInterestsFromProto(p.GetBestInterests()),
		Trafficking:       traffickingFromProto(p.GetTrafficking()),
		Work:              workFromProto(p.GetWork()),
		Narrative:         p.GetNarrative(),
		InterimCare:       interimCareFromProto(p.GetInterimCare()),
		NationalCaseIDs:   caseIDsFromProto(p.GetNationalCaseIds()),
	}
	if o := rt.GetSendingOfficer(); o != nil && (o.GetName() != "" || o.GetTitle() != "" || o.GetContact() != nil) {
		d.SendingOfficer = &Officer{Name: o.GetName(), Title: o.GetTitle(), Contact: contactFromProto(o.GetContact())}
	}
	return d, routing, nil
}

func interimCareFromProto(c *corridorv1.InterimCare) *InterimCare {
	if c == nil {
		return nil
	}
	return &InterimCare{
		Type: c.GetType(), Place: c.GetPlace(), Locality: c.GetLocality(), Organisation: c.GetOrganisation(),
		ResponsiblePerson: c.GetResponsiblePerson(), Contact: contactFromProto(c.GetContact()), Since: c.GetSince(),
		Notes: c.GetNotes(), ProtectionConcern: c.GetProtectionConcern(),
	}
}

func caseIDsFromProto(ids []*corridorv1.CaseIdentifier) []CaseID {
	var out []CaseID
	for _, id := range ids {
		out = append(out, CaseID{System: id.GetSystem(), ID: id.GetId()})
	}
	return out
}

func childFromProto(c *corridorv1.Child) Child {
	out := Child{
		Name:                nameFromProto(c.GetName()),
		OtherNames:          clone(c.GetOtherNames()),
		Sex:                 fromEnum(c.GetSex().String(), "SEX_"),
		DateOfBirth:         c.GetDateOfBirth(),
		AgeEstimated:        c.GetAgeEstimated(),
		AgeAssessmentMethod: c.GetAgeAssessmentMethod(),
		Nationalities:       clone(c.GetNationalities()),
		Languages:           clone(c.GetLanguages()),
	}
	if n := c.GetNameLocalScript(); n != nil {
		local := nameFromProto(n)
		out.NameLocalScript = &local
	}
	if c.GetAgeYears() != 0 { // proto3 cannot tell age 0 from unset
		age := int(c.GetAgeYears())
		out.AgeYears = &age
	}
	for _, d := range c.GetIdentityDocuments() {
		out.IdentityDocuments = append(out.IdentityDocuments, IDDoc{
			Type: d.GetType(), Number: d.GetNumber(), IssuingCountry: d.GetIssuingCountry(), HeldBy: d.GetHeldBy(),
		})
	}
	return out
}

func familyFromProto(f *corridorv1.Family) Family {
	out := Family{
		FamilyKnows:   answerFromProto(f.GetFamilyKnows()),
		TracingStatus: fromEnum(f.GetTracingStatus().String(), "TRACING_STATUS_"),
	}
	for _, g := range f.GetGuardians() {
		out.Guardians = append(out.Guardians, Guardian{
			Name:           nameFromProto(g.GetName()),
			Relation:       g.GetRelation(),
			Alive:          answerFromProto(g.GetAlive()),
			Place:          g.GetPlace(),
			Locality:       g.GetLocality(),
			Contact:        contactFromProto(g.GetContact()),
			SafeToReturnTo: answerFromProto(g.GetSafeToReturnTo()),
		})
	}
	return out
}

func consentFromProto(c *corridorv1.Consent) Consent {
	out := Consent{
		GivenBy:       fromEnum(c.GetGivenBy().String(), "CONSENT_GIVER_"),
		GivenByOther:  c.GetGivenByOther(),
		ToServices:    c.GetToServices(),
		ToShareAbroad: c.GetToShareAbroad(),
		RecordedAt:    fromMicros(c.GetRecordedAt()),
		LegalBasis:    c.GetLegalBasis(),
	}
	for _, w := range c.GetWithheld() {
		out.Withheld = append(out.Withheld, Withheld{What: w.GetWhat(), Why: w.GetWhy()})
	}
	if o := c.GetOverride(); o != nil {
		out.Override = &Override{
			Reason:    o.GetReason(),
			By:        o.GetSupervisor().GetUserId(),
			Role:      o.GetSupervisor().GetTitle(),
			DecidedAt: fromMicros(o.GetDecidedAt()),
		}
	}
	return out
}

func workFromProto(w *corridorv1.Work) Work {
	out := Work{
		Place:            w.GetPlace(),
		Locality:         w.GetLocality(),
		FoundAt:          fromMicros(w.GetFoundAt()),
		Sector:           sectorFromCode(w.GetSector()),
		Occupation:       w.GetOccupation(),
		NightWork:        answerFromProto(w.GetNightWork()),
		Hazards:          clone(w.GetHazards()),
		NationalHazards:  clone(w.GetNationalHazards()),
		C182Categories:   c182FromProto(w),
		BelowMinimumAge:  answerFromProto(w.GetBelowMinimumAge()),
		SchoolAttendance: fromEnum(w.GetSchoolAttendance().String(), "SCHOOL_ATTENDANCE_"),
		Employer:         partyFromProto(w.GetEmployer()),
		Recruiter:        partyFromProto(w.GetRecruiter()),
	}
	if c := w.GetCoordinates(); c != nil {
		lat, lon := c.GetLatitude(), c.GetLongitude()
		out.Coordinates = &Coordinates{Latitude: &lat, Longitude: &lon}
	}
	if w.GetHoursPerWeek() != 0 {
		h := int(w.GetHoursPerWeek())
		out.HoursPerWeek = &h
	}
	return out
}

// sectorFromCode reads an ISIC code of any level the wire allows: a section
// letter, a division, or a four-digit class (whose division is its first
// two digits). A class this build does not know keeps its division.
func sectorFromCode(code string) Sector {
	if len(code) == 1 {
		return Sector{Section: code}
	}
	if len(code) < 2 {
		return Sector{}
	}
	div, ok := codes.ISICDivision(code[:2])
	if !ok {
		return Sector{}
	}
	s := Sector{Section: div.Section, Division: div.Code}
	if c, ok := codes.ISICClass(code); ok {
		s.Class = c.Code
	}
	return s
}

// c182FromProto reads the categories; a sender built before the list
// sends the single category only.
func c182FromProto(w *corridorv1.Work) []string {
	//lint:ignore SA1019 the deprecated field is how older senders write it
	single := w.GetC182Category()
	return clone(referral.MergeC182(single, w.GetC182Categories()))
}

func nameFromProto(n *corridorv1.PersonName) PersonName {
	return PersonName{GivenNames: n.GetGivenNames(), FamilyNames: n.GetFamilyNames(), FullName: n.GetFullName(), Script: n.GetScript()}
}

func contactFromProto(c *corridorv1.Contact) *Contact {
	if c == nil {
		return nil
	}
	return &Contact{Phone: c.GetPhone(), Email: c.GetEmail(), Other: c.GetOther()}
}

func partyFromProto(p *corridorv1.Party) *Party {
	if p == nil {
		return nil
	}
	return &Party{Name: p.GetName(), Role: p.GetRole(), Contact: contactFromProto(p.GetContact()), Place: p.GetPlace(), Notes: p.GetNotes()}
}

func answerFromProto(a corridorv1.Answer) string { return fromEnum(a.String(), "ANSWER_") }

// toEnum maps a document code ("urgent") to the value of the protobuf enum
// constant prefix+upper(code) ("URGENCY_URGENT"); unknown codes map to the
// unspecified value 0. Validation has already refused unknown codes.
func toEnum(code, prefix string, values map[string]int32) int32 {
	if code == "" {
		return 0
	}
	return values[prefix+strings.ToUpper(code)]
}

// fromEnum is the inverse of toEnum: "URGENCY_URGENT" becomes "urgent", and
// the unspecified value (or a number this build does not know) becomes "".
func fromEnum(name, prefix string) string {
	code, ok := strings.CutPrefix(name, prefix)
	if !ok || code == "UNSPECIFIED" {
		return ""
	}
	return strings.ToLower(code)
}

// micros converts an RFC 3339 time to the wire's microseconds since the
// epoch; 0 (unset) when s is empty or, having been validated, cannot be
// otherwise.
func micros(s string) int64 {
	if s == "" {
		return 0
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) string {
	if us == 0 {
		return ""
	}
	return referral.FormatTime(time.UnixMicro(us))
}

func clone(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}
