package codec

import "github.com/corridor-org/corridor/services/casework/internal/referral"

// The referral document's types, named here as the mapping in referral.go
// names them: the document is defined once, in package referral, and this
// package only translates it.
type (
	Document    = referral.Document
	Recipient   = referral.Recipient
	Officer     = referral.Officer
	Contact     = referral.Contact
	PersonName  = referral.PersonName
	Child       = referral.Child
	IDDoc       = referral.IDDoc
	Family      = referral.Family
	Guardian    = referral.Guardian
	Consent     = referral.Consent
	Withheld    = referral.Withheld
	Override    = referral.Override
	Interests   = referral.Interests
	Work        = referral.Work
	Coordinates = referral.Coordinates
	Sector      = referral.Sector
	Party       = referral.Party
	Traffic     = referral.Traffic
	InterimCare = referral.InterimCare
	CaseID      = referral.CaseID
)
