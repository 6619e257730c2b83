// Package relay is a member country's access point to the corridor: the only
// process that holds the country's private keys.
//
// It drains the exchange outbox (written by the case system in the same
// transaction as the case change), seals each message to the recipient's
// current key, signs it, and publishes it to the member's OUTBOX stream; it
// re-sends every message until the recipient's signed receipt arrives,
// because a JetStream acknowledgement is not delivery. It consumes the
// member's INBOX stream, verifies and opens each envelope, stores it in the
// exchange inbox (which drops duplicates forever), and only then answers with
// a signed receipt. Whatever cannot be accepted (a bad signature, a message
// for another member, garbage, a message that failed too often) goes to a
// quarantine table, still sealed, for a person to look at: nothing is
// dropped, and nothing is retried forever.
//
// It also reports each milestone a message marks to the corridor's
// coordinator as a signed tracking event that carries no personal data.
// Subjects, message ids, headers, logs and metrics carry member codes,
// message types and random ids only.
package relay
