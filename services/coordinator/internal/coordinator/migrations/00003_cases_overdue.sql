-- +goose Up
-- Where every case stands: one row per case reference, recomputed from the
-- case's events whenever one arrives (and for every case when the
-- corridor's time limits change). The current referral is the latest one
-- under the reference (a re-referral follows a declined, withdrawn or
-- cancelled one). due_step and due_at are the step due next by the
-- directory's time limits, or '' and NULL when nothing is due. Codes and
-- times only, like the events.
CREATE TABLE coordinator_cases (
    case_ref          text        PRIMARY KEY,
    referral_id       text        NOT NULL,
    sender_member     text        NOT NULL,
    sender_agency     text        NOT NULL,
    recipient_member  text        NOT NULL,
    recipient_agency  text        NOT NULL,
    milestone         text        NOT NULL,
    opened_at         timestamptz NOT NULL,
    last_step_at      timestamptz NOT NULL,
    sector            text        NOT NULL DEFAULT '',
    age_band          text        NOT NULL DEFAULT '',
    sex               text        NOT NULL DEFAULT '',
    identified_at     timestamptz,
    referrals         integer     NOT NULL DEFAULT 1,
    due_step          text        NOT NULL DEFAULT ''
                      CHECK (due_step IN ('', 'decision', 'information_response', 'handover', 'follow_up')),
    due_at            timestamptz,
    -- The due_at of the step whose overdue notices are queued: a step is
    -- notified once, and a new step (a new limit) again.
    notified_due_at   timestamptz,
    CHECK ((due_step = '') = (due_at IS NULL))
);

-- The case list, most recently active first (keyset paging).
CREATE INDEX coordinator_cases_recent ON coordinator_cases (last_step_at DESC, case_ref DESC);
-- The overdue list, most overdue first: a range scan of the open steps
-- whose limit has passed, however many cases are open.
CREATE INDEX coordinator_cases_due ON coordinator_cases (due_at, case_ref) WHERE due_at IS NOT NULL;
-- The notifier's sweep: only steps not yet notified, a small set.
CREATE INDEX coordinator_cases_unnotified ON coordinator_cases (due_at)
    WHERE due_at IS NOT NULL AND notified_due_at IS DISTINCT FROM due_at;

-- Each member's freshness: the latest event it reported, by an index-only
-- look-up per member.
CREATE INDEX tracking_events_member_received ON tracking_events (member, received_at);

-- The time limits coordinator_cases was computed with; when the directory
-- brings others, every case is recomputed.
CREATE TABLE coordinator_due_limits (
    id     boolean PRIMARY KEY DEFAULT true CHECK (id),
    limits text    NOT NULL
);

-- The notification outbox: one row per overdue step, agency and channel,
-- written in the transaction that marks the step notified, so that a
-- restart loses nothing and a step is notified once. A delivery is retried
-- with backoff until it succeeds or its attempts run out (failed, kept in
-- sight). Codes and dates only: what a notice says is built from these.
CREATE TABLE coordinator_notifications (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_ref         text        NOT NULL,
    referral_id      text        NOT NULL,
    step             text        NOT NULL,
    due_at           timestamptz NOT NULL,
    sender_member    text        NOT NULL,
    recipient_member text        NOT NULL,
    member           text        NOT NULL,
    agency           text        NOT NULL,
    channel          text        NOT NULL CHECK (channel IN ('webhook', 'email')),
    target           text        NOT NULL,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (case_ref, step, due_at, agency, channel)
);

CREATE INDEX coordinator_notifications_pending ON coordinator_notifications (next_attempt_at)
    WHERE status = 'pending';

-- +goose Down
DROP TABLE coordinator_notifications;
DROP TABLE coordinator_due_limits;
DROP INDEX tracking_events_member_received;
DROP TABLE coordinator_cases;
