-- +goose Up
-- What joint monitoring measures, as codes and one time: when the child was
-- identified (time from identification to referral), a recorded service's
-- type, a follow-up's outcome flags, a closure's reason, and the referral a
-- re-referral follows. Still nothing that names or places a child.
ALTER TABLE tracking_events
    ADD COLUMN identified_at        timestamptz,
    ADD COLUMN service_type         text NOT NULL DEFAULT '',
    ADD COLUMN at_home              text NOT NULL DEFAULT '' CHECK (at_home IN ('', 'yes', 'no', 'unknown')),
    ADD COLUMN in_school            text NOT NULL DEFAULT '' CHECK (in_school IN ('', 'yes', 'no', 'unknown')),
    ADD COLUMN still_working        text NOT NULL DEFAULT '' CHECK (still_working IN ('', 'yes', 'no', 'unknown')),
    ADD COLUMN at_risk              text NOT NULL DEFAULT '' CHECK (at_risk IN ('', 'yes', 'no', 'unknown')),
    ADD COLUMN closure_reason       text NOT NULL DEFAULT '',
    ADD COLUMN previous_referral_id text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tracking_events
    DROP COLUMN identified_at,
    DROP COLUMN service_type,
    DROP COLUMN at_home,
    DROP COLUMN in_school,
    DROP COLUMN still_working,
    DROP COLUMN at_risk,
    DROP COLUMN closure_reason,
    DROP COLUMN previous_referral_id;
