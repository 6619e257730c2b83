// Package corridorv1 holds the generated Go types of Corridor's wire format:
// the Envelope and Receipt that relays exchange, and the payloads sealed
// inside envelopes (Referral, Decision, Withdrawal and the rest of a case's
// messages). The .proto files beside this file are the source; run
// proto/generate.sh after changing them. docs/protocol specifies the format.
package corridorv1
