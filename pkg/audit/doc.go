// Package audit is a country's tamper-evident audit trail: who did what to
// which case or message, and whether it was allowed, as one hash chain of
// entries in the country's PostgreSQL database (casework and the relay
// share it).
//
// Each entry's hash is the SHA-256 of a fixed text encoding of the entry
// that includes the hash of the entry before it (Encode documents the
// encoding; docs/operations.md shows how to re-check an entry by hand). An
// append locks the chain head row, so entries are numbered in the order
// their transactions take the lock, and a transaction that appends holds
// the lock until it ends: append last, after the change the entry records,
// and commit soon. AppendTx appends inside the caller's transaction, so an
// entry commits or rolls back with the change it records; Append runs its
// own.
//
// Triggers refuse every UPDATE, DELETE and TRUNCATE of the entries and
// checkpoints, and the migration revokes those privileges; a superuser can
// bypass both, which Verify then reveals: a changed, removed or reordered
// entry breaks the chain, and entries removed from the end no longer match
// the head or the last signed checkpoint. Checkpoint signs the chain head
// with the country's Ed25519 audit key; Checkpointer does so every so many
// entries or minutes.
//
// Entries hold identifiers and codes only, never personal data: an actor is
// a subject at its issuer or a service's name, an object is a type and an
// id (a referral id, a message id), and details are short codes.
package audit
