// Package auth verifies the bearer tokens Corridor's APIs receive: OIDC
// access tokens (JWTs) from the identity providers a service trusts, checked
// with go-oidc (signature, issuer, audience, expiry with a small clock skew)
// and mapped to a Principal carrying the user's corridor roles, member and
// agency.
//
// Identity is federated, never pooled: a Verifier trusts a list of issuers
// (casework its own country's; the coordinator every member's, from the
// directory), picks the one a token names, and verifies with that issuer's
// keys and audience only.
package auth
