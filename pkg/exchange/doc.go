// Package exchange is the contract between a member's case system and its
// relay: two tables in the member's PostgreSQL database, and the Go API
// that reads and writes them. They are the only place the two meet, so a
// country that runs another case system (Primero, a national CLMS) joins the
// corridor by writing and reading these tables as documented here and in
// docs/exchange.md.
//
// exchange_outbox holds messages to send. The case system inserts a row
// (Enqueue) in the same transaction as the case change it announces. The
// relay claims due rows (ClaimUnpublished), seals, signs and publishes them,
// marks them published, and re-sends them (DueForResend) until the
// recipient's signed receipt is recorded (RecordReceipt): a transport
// acknowledgement is not delivery. The case system takes recorded receipts
// with ClaimReceipts. Each row says which side of its referral this member
// is (Side), so the relay builds tracking events from the row alone.
// ReadStats counts what is in flight: nothing else reads these tables.
//
// exchange_inbox holds messages received. The relay inserts each verified,
// opened message (InsertInbox). A message's identity is (sender member,
// message id), and the id must carry the sender's prefix; a copy of a
// message seen before is dropped, however long ago, and the relay answers
// it with the same receipt; a "copy" with another type, case or payload
// digest is refused (ErrConflictingDuplicate) and never answered. The case
// system claims unapplied rows (ClaimInbox), applies them, and marks each
// applied or failed; failed messages stay visible (ListFailedInbox) and are
// retried with a growing delay.
//
// Inserts notify the channels exchange_outbox and exchange_inbox, and a
// recorded receipt notifies exchange_receipt, each with the message id as
// payload; Listen turns them into wake-ups. Every reader also polls, since
// notifications sent while it is disconnected are lost.
//
// Every message queued (Enqueue), sent (MarkPublished), delivered
// (RecordReceipt), received (InsertInbox) and retried by an operator
// (RetryInbox) is recorded in the member's audit trail (package audit) in
// the transaction of the change, under the actor of the context
// (audit.WithActor). Functions given a pool begin that transaction
// themselves.
//
// Payloads are plaintext (serialized protobuf) and contain personal data:
// they never leave the member's database unencrypted. Every other column is
// an identifier or a code, and error texts must not contain personal data,
// because operators and logs see them. Tracking attributes are the only
// part of a message the relay passes to the coordinator.
package exchange
