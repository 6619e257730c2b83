-- +goose Up
-- A referral as this country sees it. The sender's and the recipient's rows
-- share id and case_ref; side says which end this database is. details holds
-- the validated referral document, personal data included: it never leaves
-- this database except sealed inside an outbox payload.
CREATE TABLE referrals (
    id               text        PRIMARY KEY,
    case_ref         text        NOT NULL,
    side             text        NOT NULL CHECK (side IN ('sender', 'recipient')),
    status           text        NOT NULL,
    sender_member    text        NOT NULL,
    sender_agency    text        NOT NULL,
    sender_user      text        NOT NULL,
    recipient_member text        NOT NULL,
    recipient_agency text        NOT NULL,
    urgency          text        NOT NULL,
    details          jsonb       NOT NULL,
    decision_reason  text        NOT NULL DEFAULT '',
    decision_code    text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

-- The two list queries: an agency's outgoing and incoming referrals, newest first.
CREATE INDEX referrals_outgoing ON referrals (sender_agency, created_at DESC, id) WHERE side = 'sender';
CREATE INDEX referrals_incoming ON referrals (recipient_agency, created_at DESC, id) WHERE side = 'recipient';
CREATE INDEX referrals_case_ref ON referrals (case_ref);

-- The cross-border history of a referral: one row per transition, on either
-- side. actor is a user's subject, or "relay" for what arrived from abroad.
CREATE TABLE referral_history (
    referral_id  text        NOT NULL REFERENCES referrals (id),
    seq          integer     NOT NULL CHECK (seq > 0),
    at           timestamptz NOT NULL,
    event        text        NOT NULL,
    actor_side   text        NOT NULL CHECK (actor_side IN ('sender', 'recipient')),
    actor_member text        NOT NULL,
    actor        text        NOT NULL,
    from_status  text        NOT NULL,
    to_status    text        NOT NULL,
    message_id   text,
    note         text        NOT NULL DEFAULT '',
    PRIMARY KEY (referral_id, seq)
);

-- A message applies at most once: the applier looks its id up here first, so
-- an inbox row applied again changes nothing.
CREATE INDEX referral_history_message ON referral_history (message_id) WHERE message_id IS NOT NULL;

-- +goose Down
DROP TABLE referral_history;
DROP TABLE referrals;
