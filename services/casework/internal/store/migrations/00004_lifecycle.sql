-- +goose Up
-- What the events after a referral's sending record, on both sides of the
-- border: each table holds the acting side's record and the other side's
-- copy alike, keyed by identifiers both sides share. body is the event's
-- record as JSON (package events); the columns beside it are what casework
-- looks records up by. Rows are never deleted: a revised handover plan or an
-- updated service is a new row or an update of the one the event names.

-- Information requests, with their answers once they arrive.
CREATE TABLE referral_info_requests (
    referral_id   text        NOT NULL REFERENCES referrals (id),
    request_id    text        NOT NULL,
    body          jsonb       NOT NULL,
    requested_at  timestamptz NOT NULL,
    requested_by  text        NOT NULL,
    response      jsonb,
    answered_at   timestamptz,
    answered_by   text,
    PRIMARY KEY (referral_id, request_id),
    CHECK ((response IS NULL) = (answered_at IS NULL))
);

-- Handover plans, one row per proposal. Two proposals of one revision may
-- cross, one from each side; the revision and side name a proposal.
CREATE TABLE referral_handover_plans (
    referral_id  text        NOT NULL REFERENCES referrals (id),
    revision     integer     NOT NULL CHECK (revision > 0),
    proposed_by  text        NOT NULL CHECK (proposed_by IN ('sender', 'recipient')),
    body         jsonb       NOT NULL,
    proposed_at  timestamptz NOT NULL,
    proposed_by_user text    NOT NULL,
    PRIMARY KEY (referral_id, revision, proposed_by)
);

-- Handover confirmations; each names the proposal it confirms. confirmed_at
-- is the confirming side's time, carried in its message, so both sides
-- order the confirmations alike.
CREATE TABLE referral_handover_confirmations (
    referral_id   text        NOT NULL REFERENCES referrals (id),
    seq           bigint      GENERATED ALWAYS AS IDENTITY,
    side          text        NOT NULL CHECK (side IN ('sender', 'recipient')),
    revision      integer     NOT NULL CHECK (revision > 0),
    plan_by       text        NOT NULL CHECK (plan_by IN ('sender', 'recipient')),
    body          jsonb       NOT NULL,
    confirmed_at  timestamptz NOT NULL,
    confirmed_by  text        NOT NULL,
    PRIMARY KEY (referral_id, seq)
);

-- Services for the child; a later update of a service replaces its row.
CREATE TABLE referral_services (
    referral_id  text        NOT NULL REFERENCES referrals (id),
    service_id   text        NOT NULL,
    body         jsonb       NOT NULL,
    recorded_at  timestamptz NOT NULL,
    recorded_by  text        NOT NULL,
    PRIMARY KEY (referral_id, service_id)
);

-- Follow-ups of the child after the handover. visit_date is the body's
-- date, kept apart to find the latest.
CREATE TABLE referral_follow_ups (
    referral_id   text        NOT NULL REFERENCES referrals (id),
    follow_up_id  text        NOT NULL,
    visit_date    date        NOT NULL,
    body          jsonb       NOT NULL,
    recorded_at   timestamptz NOT NULL,
    recorded_by   text        NOT NULL,
    PRIMARY KEY (referral_id, follow_up_id)
);

-- A case's closure: at most one, since closed is final.
CREATE TABLE referral_closures (
    referral_id  text        PRIMARY KEY REFERENCES referrals (id),
    body         jsonb       NOT NULL,
    closed_at    timestamptz NOT NULL,
    closed_by    text        NOT NULL
);

-- The Idempotency-Key of each POST that changed a referral, per user: a
-- request repeated with the same key changes nothing and is answered with
-- the referral it acted on. fingerprint is a SHA-256 of what the request
-- asked (method, referral, event and body), so that a key reused for
-- another request is refused rather than answered with the wrong referral.
CREATE TABLE idempotency_keys (
    user_id      text        NOT NULL,
    key          text        NOT NULL,
    fingerprint  bytea       NOT NULL,
    referral_id  text        NOT NULL REFERENCES referrals (id) DEFERRABLE INITIALLY DEFERRED,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE referral_closures;
DROP TABLE referral_follow_ups;
DROP TABLE referral_services;
DROP TABLE referral_handover_confirmations;
DROP TABLE referral_handover_plans;
DROP TABLE referral_info_requests;
