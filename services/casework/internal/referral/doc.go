// Package referral is casework's referral document: the JSON a user files,
// how it is validated against the corridor's code lists, consent rules and
// directory, and how it maps to and from the protobuf payload that travels
// sealed to the other country. The document holds personal data; it is kept
// in this country's database and inside encrypted payloads only, and nothing
// here logs it or copies it into an error message.
package referral
