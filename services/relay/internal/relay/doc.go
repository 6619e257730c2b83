// Package relay is a member country's access point to the corridor: the only
// process that holds the country's private keys.
//
// It drains the exchange outbox (written by the case system in the same
// transaction as the case change), seals each message to the recipient's
// current key, signs it, and publishes it to the member's OUTBOX stream; it
// re-sends every message until the recipient's signed receipt arrives,
// because a JetStream acknowledgement is not delivery. It consumes the
// member's INBOX stream, verifies and opens each envelope (canonical bytes
// only, a message id with the sender's prefix, a sent_at inside the
// directory's window), stores it in the exchange inbox (which drops true
// duplicates forever, keyed by sender and message id), and only then
// answers with a signed receipt, the same for every copy. Whatever cannot
// be accepted (a bad signature, a message for another member, garbage, a
// replay, a "duplicate" with another payload, a message that failed too
// often) goes to a quarantine table, still sealed, for a person to look
// at: nothing is dropped, and nothing is retried forever. It never parses
// a payload: what it files a message under comes from the signed header.
//
// It also reports each milestone a message marks to the corridor's
// coordinator as a signed tracking event that carries no personal data,
// built from the outbox row alone.
// Subjects, message ids, headers, logs and metrics carry member codes,
// message types and random ids only.
package relay
