-- A country administrator settles each quarantined message: release runs it
-- again through every check (after the directory gained a key, say) and
-- stores it in the inbox if it now passes; dismiss closes it without
-- applying it. Nothing is deleted: a settled row stays, with who settled
-- it, when and why. attempts counts the times the checks ran on the
-- message (1 on arrival, one more per release that failed).

-- +goose Up
ALTER TABLE relay_quarantine
    ADD COLUMN state            text        NOT NULL DEFAULT 'quarantined'
                                            CHECK (state IN ('quarantined', 'released', 'dismissed')),
    ADD COLUMN attempts         integer     NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    -- The last action a person took on the row: a release (which may have
    -- failed, leaving it quarantined) or the dismissal.
    ADD COLUMN last_action      text        NOT NULL DEFAULT ''
                                            CHECK (last_action IN ('', 'release', 'dismiss')),
    ADD COLUMN last_action_at   timestamptz,
    ADD COLUMN last_action_by   text        NOT NULL DEFAULT '',
    ADD COLUMN last_action_note text        NOT NULL DEFAULT '',
    ADD COLUMN resolved_at      timestamptz,
    ADD CONSTRAINT relay_quarantine_resolved CHECK ((state = 'quarantined') = (resolved_at IS NULL)),
    ADD CONSTRAINT relay_quarantine_acted CHECK ((last_action = '') = (last_action_at IS NULL));

-- What still needs a person, newest first.
CREATE INDEX relay_quarantine_open ON relay_quarantine (id DESC) WHERE state = 'quarantined';

-- +goose Down
DROP INDEX relay_quarantine_open;
ALTER TABLE relay_quarantine
    DROP CONSTRAINT relay_quarantine_acted,
    DROP CONSTRAINT relay_quarantine_resolved,
    DROP COLUMN resolved_at,
    DROP COLUMN last_action_note,
    DROP COLUMN last_action_by,
    DROP COLUMN last_action_at,
    DROP COLUMN last_action,
    DROP COLUMN attempts,
    DROP COLUMN state;
