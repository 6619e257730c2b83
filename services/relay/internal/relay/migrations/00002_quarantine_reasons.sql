-- The reasons of the exchange's hardening: non-canonical encodings, message
-- ids without the sender's prefix, conflicting duplicates (pre-emption),
-- and sent_at outside the directory's window (replays).

-- +goose Up
ALTER TABLE relay_quarantine DROP CONSTRAINT relay_quarantine_reason_check;
ALTER TABLE relay_quarantine ADD CONSTRAINT relay_quarantine_reason_check CHECK (reason IN (
    'wrong_recipient', 'unknown_key', 'bad_signature', 'header_altered',
    'malformed', 'too_large', 'unknown_sender', 'unknown_agency',
    'route_mismatch', 'unknown_message', 'receipt_mismatch', 'gave_up',
    'not_canonical', 'foreign_message_id', 'conflicting_duplicate', 'outside_window'));

-- +goose Down
ALTER TABLE relay_quarantine DROP CONSTRAINT relay_quarantine_reason_check;
ALTER TABLE relay_quarantine ADD CONSTRAINT relay_quarantine_reason_check CHECK (reason IN (
    'wrong_recipient', 'unknown_key', 'bad_signature', 'header_altered',
    'malformed', 'too_large', 'unknown_sender', 'unknown_agency',
    'route_mismatch', 'unknown_message', 'receipt_mismatch', 'gave_up'));
