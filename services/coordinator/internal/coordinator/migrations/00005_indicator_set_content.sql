-- +goose Up
-- The digest of what a set says (its canonical encoding without its id and
-- issue time): the publisher issues a new set for a range only when the
-- content differs from the newest set of that range. Sets stored before
-- have none and are never matched, so the first round issues them anew.
ALTER TABLE indicator_sets ADD COLUMN content_digest bytea;
CREATE INDEX indicator_sets_range ON indicator_sets (period, range_from, range_to, created_at DESC);
CREATE INDEX indicator_sets_created ON indicator_sets (created_at DESC, id DESC);

-- +goose Down
DROP INDEX indicator_sets_created;
DROP INDEX indicator_sets_range;
ALTER TABLE indicator_sets DROP COLUMN content_digest;
