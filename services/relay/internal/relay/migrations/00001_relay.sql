-- +goose Up
-- Messages the relay took off INBOX but could not accept: a bad signature, a
-- message for another member, an unknown key, garbage, or one that failed
-- too often to keep retrying. They are kept, never dropped, for a person to
-- look at. raw holds the bytes as received, still sealed: the payload is
-- never stored in clear here. The header columns come from the envelope's
-- unauthenticated header (when it could be read at all), so they say what
-- the message claims to be, not what it is.
CREATE TABLE relay_quarantine (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at      timestamptz NOT NULL DEFAULT now(),
    stream_seq       bigint      NOT NULL,
    subject          text        NOT NULL,
    reason           text        NOT NULL CHECK (reason IN (
                         'wrong_recipient', 'unknown_key', 'bad_signature', 'header_altered',
                         'malformed', 'too_large', 'unknown_sender', 'unknown_agency',
                         'route_mismatch', 'unknown_message', 'receipt_mismatch', 'gave_up')),
    error            text        NOT NULL,
    message_id       text        NOT NULL DEFAULT '',
    message_type     text        NOT NULL DEFAULT '',
    sender_member    text        NOT NULL DEFAULT '',
    sender_agency    text        NOT NULL DEFAULT '',
    recipient_member text        NOT NULL DEFAULT '',
    recipient_agency text        NOT NULL DEFAULT '',
    raw              bytea       NOT NULL
);

-- A message quarantined once stays quarantined once: if the relay stops
-- between storing it and terminating its delivery, the redelivery finds
-- its row.
CREATE UNIQUE INDEX relay_quarantine_stream_seq ON relay_quarantine (stream_seq);
CREATE INDEX relay_quarantine_received ON relay_quarantine (received_at DESC, id DESC);

-- The digest of every envelope the relay sealed, so that a receipt can be
-- checked against what was really sent: a receipt names the digest of the
-- bytes its signer received, and a re-sent message is sealed afresh (new
-- HPKE encapsulation, new bytes), so one message has one digest per sending.
CREATE TABLE relay_sent_envelopes (
    message_id      text        NOT NULL,
    envelope_sha256 bytea       NOT NULL CHECK (length(envelope_sha256) = 32),
    sealed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, envelope_sha256)
);

-- +goose Down
DROP TABLE relay_sent_envelopes;
DROP TABLE relay_quarantine;
