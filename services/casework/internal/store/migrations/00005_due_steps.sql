-- +goose Up
-- The step of a referral that is due next and when (workflow.Due): the
-- recipient's decision, the sender's answer to an information request, the
-- handover after acceptance, or the next follow-up after it. Casework
-- rewrites both columns on every transition, so that the work lists'
-- overdue filter is one indexed comparison.
ALTER TABLE referrals
    ADD COLUMN due_step text,
    ADD COLUMN due_at timestamptz,
    ADD CONSTRAINT referrals_due_complete CHECK ((due_step IS NULL) = (due_at IS NULL));

-- Rows written before this migration: the decision they await, as the
-- lists read overdue until now. The other steps are set by the referral's
-- next transition.
UPDATE referrals SET due_step = 'decision', due_at = decision_due_at
WHERE status IN ('sent', 'delivered');

CREATE INDEX referrals_due ON referrals (holder_agency, side, due_at) WHERE due_at IS NOT NULL;

-- +goose Down
DROP INDEX referrals_due;
ALTER TABLE referrals DROP CONSTRAINT referrals_due_complete, DROP COLUMN due_at, DROP COLUMN due_step;
