-- +goose Up
-- One row per tracking event a member's relay reported: the milestones of
-- a cross-border case. Codes, ids and times only: the coordinator holds no
-- personal data. event_id is the reporting relay's, so a repeated event
-- (re-published after a failure, delivered twice) is stored once.
CREATE TABLE tracking_events (
    event_id         text        PRIMARY KEY,
    corridor         text        NOT NULL,
    case_ref         text        NOT NULL,
    referral_id      text        NOT NULL,
    milestone        text        NOT NULL,
    member           text        NOT NULL,
    sender_member    text        NOT NULL,
    sender_agency    text        NOT NULL,
    recipient_member text        NOT NULL,
    recipient_agency text        NOT NULL,
    at               timestamptz NOT NULL,
    sector           text        NOT NULL DEFAULT '',
    age_band         text        NOT NULL DEFAULT '',
    sex              text        NOT NULL DEFAULT '',
    received_at      timestamptz NOT NULL DEFAULT now()
);

-- A case's timeline, and the case list ordered by latest activity.
CREATE INDEX tracking_events_case ON tracking_events (case_ref, at, event_id);
CREATE INDEX tracking_events_at ON tracking_events (at DESC);

-- Events the coordinator refused. Only a digest and the size of the bytes
-- are kept: a refused message is unverified and could hold anything, and
-- the coordinator must never store personal data. The message itself stays
-- in the INBOX stream (stream_seq) until it expires, for an operator.
CREATE TABLE coordinator_quarantine (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at   timestamptz NOT NULL DEFAULT now(),
    stream_seq    bigint      NOT NULL,
    subject       text        NOT NULL,
    reason        text        NOT NULL CHECK (reason IN (
                      'malformed', 'too_large', 'unknown_key', 'unknown_sender', 'bad_signature',
                      'invalid', 'route_mismatch', 'gave_up')),
    error         text        NOT NULL,
    member        text        NOT NULL DEFAULT '',
    event_id      text        NOT NULL DEFAULT '',
    size          integer     NOT NULL,
    sha256        bytea       NOT NULL CHECK (length(sha256) = 32)
);

CREATE UNIQUE INDEX coordinator_quarantine_stream_seq ON coordinator_quarantine (stream_seq);

-- +goose Down
DROP TABLE coordinator_quarantine;
DROP TABLE tracking_events;
