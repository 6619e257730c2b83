// Package coordinator is the corridor coordinator's service: a member of
// the corridor like the countries, with its own NATS domain ("coord") and
// PostgreSQL, that follows every cross-border case by its milestones and
// never sees who the child is.
//
// Relays publish signed tracking events (proto/corridor/tracking/v1) to
// their OUTBOX; the coordinator's INBOX sources them across the hub. The
// coordinator verifies each event's signature with the directory, checks
// that it carries codes only (a known milestone, members and agencies of
// the directory, a sector letter, an age band, a sex), stores it once by its
// id, and serves per-case timelines to coordinators logged in with any
// member's identity provider, with the events it refused (GET
// /api/v1/quarantine), so that none is lost from sight. As events are
// stored it keeps the joint indicators up to date (docs/indicators.md),
// serves them with disclosure control, and publishes them as sets signed
// with its key, which members check against their own records.
//
// Each case also has a row (cases.go) recomputed whenever one of its events
// arrives: where it stands and the step due next by the directory's time
// limits (pkg/cases NextDue). From these rows it lists the cases and the
// overdue ones, and its notifier (notify.go) tells the agency responsible
// for a step that became overdue, once, by a signed webhook and by e-mail,
// from a durable outbox. docs/coordinator.md describes both.
//
// This package must never link a type that can carry personal data: it
// imports neither proto/corridor/v1 nor pkg/envelope (a test runs go list
// to prove it), and its quarantine keeps a digest of what it refused, not
// the bytes, which stay in the INBOX stream until they expire.
package coordinator
