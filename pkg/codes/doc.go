// Package codes holds the code lists a referral is coded with, as data, and
// registers a validation tag for each with go-playground/validator:
//
//	iso3166_1           ISO 3166-1 alpha-2 country ("CI", "BF")
//	iso3166_2           ISO 3166-2 subdivision ("CI-AB", "BF-KAD")
//	isic_section        ISIC Rev.4 section ("A".."U")
//	isic_division       ISIC Rev.4 division ("01".."99", 88 of them)
//	isic_class          ISIC Rev.4 class ("0127", 419 of them)
//	c182_category       ILO C182 Art. 3 worst form ("c182_3a".."c182_3d")
//	r190_hazard         ILO R190 para. 3 hazard category ("r190_3a".."r190_3e")
//	fl_indicator        one of the ILO's 11 indicators of forced labour
//	child_fl_indicator  an ILO indicator of forced labour of children
//	htcds_control       an IOM HTCDS method of control (17)
//	htcds_exploitation  an IOM HTCDS type of exploitation
//	migration_status    a migration or protection status (HTCDS)
//	interim_care        where a child stays before handover
//	case_system         a member's own case-management system ("primero")
//	age_method          how a child's age was assessed
//	bcp47               a well-formed BCP 47 language tag
//	service_type, service_status, follow_up_method, travel_document,
//	closure_reason      the lists of a case after acceptance (lifecycle.go)
//
// Codes are exact: upper case where the standard is, no surrounding spaces.
// The ILO codes are Corridor's own, named after the paragraph they cite so
// that they read the same in every language and never change when the
// English wording does; the lists say what each means.
//
// The ISIC Rev.4 classes are committed under data/ as transcribed from the
// UN publication; nothing generates them.
//
// The ISO 3166 lists are generated from Debian's iso-codes package
// (https://salsa.debian.org/iso-codes-team/iso-codes, version 4.15.0 when
// last generated) by internal/gen and committed under data/, so a build never
// needs iso-codes. iso-codes is licensed under the LGPL-2.1-or-later; the
// codes and names themselves are facts published by ISO. To update them,
// install a newer iso-codes, run go generate here and commit the result; a
// test in internal/gen fails while the committed files differ from the
// installed iso-codes.
//
// The tables are read-only: lists are returned as copies.
package codes

//go:generate go run ./internal/gen -in /usr/share/iso-codes/json -out data
