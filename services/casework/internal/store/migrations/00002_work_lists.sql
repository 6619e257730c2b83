-- +goose Up
-- Work lists that scale: filters, keyset paging in two orders, a name search
-- and assignment. pg_trgm and unaccent ship with PostgreSQL's contrib (the
-- Debian and Ubuntu postgresql packages include it) and are trusted
-- extensions: a role with CREATE on the database may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- casework_name_key is the one normalisation of names for search: without
-- accents, in lower case (by ICU's root locale, so that every script is
-- folded whatever the database's own collation), runs of white space as one
-- space. The stored key and the searched text both go through it.
CREATE FUNCTION casework_name_key(name text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN btrim(regexp_replace(lower(unaccent(name) COLLATE "und-x-icu"), '\s+', ' ', 'g'));

ALTER TABLE referrals
    -- The agency that holds the row: the sender's on the sending side, the
    -- recipient's on the receiving side. Every list is one agency's.
    ADD COLUMN holder_agency text GENERATED ALWAYS AS (
        CASE side WHEN 'sender' THEN sender_agency ELSE recipient_agency END) STORED,
    -- Most urgent first: asap, urgent, routine.
    ADD COLUMN urgency_rank smallint GENERATED ALWAYS AS (
        CASE urgency WHEN 'asap' THEN 0 WHEN 'urgent' THEN 1 WHEN 'routine' THEN 2 ELSE 3 END) STORED,
    -- When a decision on the referral is due (workflow.DecisionDue): set on
    -- insert, never changed, so that it can order a list.
    ADD COLUMN decision_due_at timestamptz,
    -- The child's names as casework_name_key normalises them, copied out of
    -- details on insert for the name search.
    ADD COLUMN child_name_key text NOT NULL DEFAULT '',
    -- The user of the holding agency a supervisor assigned the referral to.
    -- Assignment stays in this country: it is not a state event and never
    -- crosses the border.
    ADD COLUMN assignee text,
    ADD COLUMN assigned_by text,
    ADD COLUMN assigned_at timestamptz;

-- Rows written before this migration: the same rules, in SQL. respond_by is
-- a validated YYYY-MM-DD; a decision is due at the end of that day (UTC),
-- otherwise after the urgency's allowance.
UPDATE referrals SET
    decision_due_at = coalesce(
        ((details->>'respond_by')::date + 1)::timestamp AT TIME ZONE 'UTC',
        created_at + CASE urgency WHEN 'asap' THEN interval '1 day'
                                  WHEN 'urgent' THEN interval '3 days'
                                  ELSE interval '14 days' END),
    child_name_key = coalesce(casework_name_key(concat_ws(' ',
        details#>>'{child,name,full_name}', details#>>'{child,name,given_names}', details#>>'{child,name,family_names}',
        details#>>'{child,name_local_script,full_name}', details#>>'{child,name_local_script,given_names}',
        details#>>'{child,name_local_script,family_names}',
        (SELECT string_agg(n, ' ') FROM jsonb_array_elements_text(coalesce(details#>'{child,other_names}', '[]')) AS n))), '');

ALTER TABLE referrals ALTER COLUMN decision_due_at SET NOT NULL;

-- One index per list order, each also serving the filters it does not
-- cover (the planner filters while it walks the order).
DROP INDEX referrals_outgoing;
DROP INDEX referrals_incoming;
CREATE INDEX referrals_newest ON referrals (holder_agency, side, created_at DESC, id DESC);
CREATE INDEX referrals_urgent ON referrals (holder_agency, side, urgency_rank, decision_due_at, id);
-- A status filter in newest order, so that a rare status is found without
-- walking the whole list.
CREATE INDEX referrals_status_newest ON referrals (holder_agency, side, status, created_at DESC, id DESC);
CREATE INDEX referrals_assignee ON referrals (assignee, side, created_at DESC, id DESC) WHERE assignee IS NOT NULL;
-- The name search: any part of a name, through trigrams.
CREATE INDEX referrals_child_name ON referrals USING gin (child_name_key gin_trgm_ops);

-- +goose Down
DROP INDEX referrals_child_name;
DROP INDEX referrals_assignee;
DROP INDEX referrals_status_newest;
DROP INDEX referrals_urgent;
DROP INDEX referrals_newest;
ALTER TABLE referrals
    DROP COLUMN assigned_at,
    DROP COLUMN assigned_by,
    DROP COLUMN assignee,
    DROP COLUMN child_name_key,
    DROP COLUMN decision_due_at,
    DROP COLUMN urgency_rank,
    DROP COLUMN holder_agency;
CREATE INDEX referrals_outgoing ON referrals (sender_agency, created_at DESC, id) WHERE side = 'sender';
CREATE INDEX referrals_incoming ON referrals (recipient_agency, created_at DESC, id) WHERE side = 'recipient';
DROP FUNCTION casework_name_key(text);
