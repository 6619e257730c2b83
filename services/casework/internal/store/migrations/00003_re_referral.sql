-- +goose Up
-- A re-referral: after a decline or a withdrawal, the sender files a new
-- referral to another agency under the same case_ref, naming the one it
-- follows. '' for a first referral. On the recipient's side it is what the
-- routing said, and the referral it names may not be held here.
ALTER TABLE referrals ADD COLUMN previous_referral_id text NOT NULL DEFAULT '';

-- A referral is followed by one re-referral at most: the chain under a case
-- reference is a line, not a tree.
CREATE UNIQUE INDEX referrals_previous ON referrals (previous_referral_id)
    WHERE side = 'sender' AND previous_referral_id <> '';

-- +goose Down
DROP INDEX referrals_previous;
ALTER TABLE referrals DROP COLUMN previous_referral_id;
