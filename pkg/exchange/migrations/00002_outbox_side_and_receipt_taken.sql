-- What the relay and the case system need on the outbox row itself, so that
-- neither reads the other's side of the exchange:
--
-- side: whether this member is the sender or the recipient of the referral
-- the message concerns. The relay names the referral's sender and recipient
-- in tracking events from it (it never reads the inbox or a payload to
-- learn it). Rows written before this column existed are backfilled from
-- the inbox: a member that received the referral is its recipient.
--
-- receipt_taken_at: when the case system took the recorded receipt
-- (ClaimReceipts), in the transaction that acted on it. A receipt recorded
-- and not yet taken is what the case system has still to learn; rows
-- receipted before this column existed are offered once more, which a case
-- system must tolerate (casework ignores a receipt for a referral no
-- longer in status sent).

-- +goose Up
ALTER TABLE exchange_outbox
    ADD COLUMN side text NOT NULL DEFAULT 'sender' CHECK (side IN ('sender', 'recipient')),
    ADD COLUMN receipt_taken_at timestamptz NULL,
    ADD CONSTRAINT exchange_outbox_receipt_taken CHECK (receipt_taken_at IS NULL OR receipt_at IS NOT NULL);

UPDATE exchange_outbox o SET side = 'recipient'
WHERE EXISTS (SELECT 1 FROM exchange_inbox i
              WHERE i.referral_id = o.referral_id AND i.message_type = 'referral');

-- What the case system has yet to take, by type.
CREATE INDEX exchange_outbox_receipt_untaken ON exchange_outbox (message_type, receipt_at)
    WHERE receipt_at IS NOT NULL AND receipt_taken_at IS NULL;

-- +goose Down
DROP INDEX exchange_outbox_receipt_untaken;
ALTER TABLE exchange_outbox
    DROP CONSTRAINT exchange_outbox_receipt_taken,
    DROP COLUMN receipt_taken_at,
    DROP COLUMN side;
