// Package api is casework's JSON API under /api/v1/ (docs/operations.md,
// docs/api/openapi.yaml): referrals filed, listed, read, accepted, declined
// and withdrawn, and the inbox messages that could not be applied, which
// a supervisor lists and offers again after correcting the cause. Every
// route needs a bearer token from the country's own identity provider;
// every error is an RFC 9457 problem naming the fields at fault.
package api
