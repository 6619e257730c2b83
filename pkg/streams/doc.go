// Package streams defines the corridor's JetStream layout on a member's
// server: the OUTBOX stream a member's relay publishes to, the INBOX stream
// that sources from each peer's OUTBOX the slice addressed to this member,
// the subjects both use, the rule for message ids, and the durable consumer
// a service reads its INBOX with.
//
// A member publishes to corr.<from>.out.<to>.<type> in its own OUTBOX. The
// recipient's INBOX sources that slice across the hub and stores it as
// corr.<to>.in.<from>.<type>. Subjects and message ids are seen by the hub,
// so they carry member codes and message types only: never case ids or
// personal data.
//
// deploy/nats holds the server configurations whose exports and imports let
// these sources through; its README explains how the two fit.
package streams
