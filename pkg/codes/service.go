package codes

import "slices"

// serviceTypes is the corridor's service-type list: the services an agency
// offers, a referral requests and a caseworker records.
var serviceTypes = []string{
	"family_tracing", "reunification", "medical", "psychosocial", "education",
	"vocational_training", "legal", "shelter", "cash_transfer",
}

// ServiceTypes returns the service-type codes, in the list's order.
func ServiceTypes() []string { return slices.Clone(serviceTypes) }

// IsServiceType reports whether code is on the service-type list.
func IsServiceType(code string) bool { return slices.Contains(serviceTypes, code) }
