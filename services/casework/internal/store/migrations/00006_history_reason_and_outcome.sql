-- +goose Up
-- A history row keeps an event's reason code and the user's note apart, and
-- how a message that crossed this side's own step was resolved (outcome) apart
-- from both, so that a crossing never replaces the reason a user gave.
ALTER TABLE referral_history
    ADD COLUMN reason_code text NOT NULL DEFAULT '',
    ADD COLUMN outcome     text NOT NULL DEFAULT '';

-- Rows written before kept the outcome, or for a status change or a closure
-- the reason code, in note.
UPDATE referral_history SET outcome = note, note = ''
WHERE actor = 'relay' AND note IN ('overrode_decision', 'superseded_by_withdrawal', 'recorded_only', 'superseded');
UPDATE referral_history SET reason_code = note, note = ''
WHERE outcome = '' AND event IN ('close', 'report_handover_failed', 'suspend', 'resume', 'cancel', 'mark_entered_in_error');

-- +goose Down
UPDATE referral_history SET note = reason_code WHERE reason_code <> '' AND note = '';
UPDATE referral_history SET note = outcome WHERE outcome <> '';
ALTER TABLE referral_history DROP COLUMN outcome, DROP COLUMN reason_code;
