-- A received message's identity is (sender member, message id), not the
-- message id alone: one member must never be able to make another's
-- message vanish by sending first under its id. The relay also refuses a
-- message id without its sender's prefix ("bf-…" from BF), so in practice
-- the id alone still names one row.
--
-- payload_sha256 is the SHA-256 of the opened payload: a later copy under
-- the same identity is a true duplicate only if its type, case reference
-- and payload digest are the same; otherwise it is an attack, quarantined
-- and never receipted. Older rows are backfilled from their payload.
--
-- envelope_sha256 is the SHA-256 of the first envelope received for the
-- message: every copy is answered with a receipt naming it, so a re-sent
-- message gets the same receipt. NULL for rows received before this
-- column existed (their copies are answered with the copy's own digest).

-- +goose Up
ALTER TABLE exchange_inbox
    ADD COLUMN payload_sha256 bytea NULL CHECK (length(payload_sha256) = 32),
    ADD COLUMN envelope_sha256 bytea NULL CHECK (length(envelope_sha256) = 32);
UPDATE exchange_inbox SET payload_sha256 = sha256(payload);
ALTER TABLE exchange_inbox ALTER COLUMN payload_sha256 SET NOT NULL;

ALTER TABLE exchange_inbox DROP CONSTRAINT exchange_inbox_pkey;
ALTER TABLE exchange_inbox ADD PRIMARY KEY (sender_member, message_id);
CREATE INDEX exchange_inbox_message_id ON exchange_inbox (message_id);

-- +goose Down
DROP INDEX exchange_inbox_message_id;
ALTER TABLE exchange_inbox DROP CONSTRAINT exchange_inbox_pkey;
ALTER TABLE exchange_inbox ADD PRIMARY KEY (message_id);
ALTER TABLE exchange_inbox DROP COLUMN envelope_sha256, DROP COLUMN payload_sha256;
