-- +goose Up
-- Joint indicators, pre-aggregated as events arrive (docs/indicators.md).
--
-- indicator_steps holds, for each referral and step, the one event that
-- counts: the earliest (by time, then event id), so the figures do not
-- depend on the order events arrive in. A trigger on tracking_events keeps
-- it, and the two aggregates below, up to date in the transaction that
-- stores the event; indicator_rebuild() computes the same from scratch.
-- Attributes not reported are stored as 'not_reported', so every breakdown
-- adds up to its total.
CREATE TABLE indicator_steps (
    referral_id    text        NOT NULL,
    step           text        NOT NULL CHECK (step IN ('identified', 'referred', 'accepted', 'declined',
                                   'handed_over', 'receiving_services', 'followed_up', 'not_working', 'closed')),
    at             timestamptz NOT NULL,
    -- On referred: when the child was identified, if reported.
    started_at     timestamptz,
    event_id       text        NOT NULL,
    from_member    text        NOT NULL,
    to_member      text        NOT NULL,
    sector         text        NOT NULL,
    age_band       text        NOT NULL,
    sex            text        NOT NULL,
    closure_reason text        NOT NULL,
    PRIMARY KEY (referral_id, step)
);

-- Counts of steps per direction, month, indicator and one breakdown
-- (dim '' is the total; 'sector', 'age_band', 'sex', and 'closure_reason'
-- for closed).
CREATE TABLE indicator_counts (
    from_member text    NOT NULL,
    to_member   text    NOT NULL,
    indicator   text    NOT NULL,
    dim         text    NOT NULL,
    month       date    NOT NULL,
    value       text    NOT NULL,
    n           bigint  NOT NULL,
    PRIMARY KEY (dim, month, from_member, to_member, indicator, value)
);

-- Histograms of the time between two steps of a referral, attributed to
-- the month of the later step: hist maps bucket b (indicator_bucket: a
-- duration of at most b hours up to a week, then of at most a whole number
-- of days) to how many durations fell in it. One row per breakdown cell
-- keeps a year's figures to a few thousand rows however many events.
CREATE TABLE indicator_durations (
    from_member text    NOT NULL,
    to_member   text    NOT NULL,
    measure     text    NOT NULL,
    dim         text    NOT NULL,
    month       date    NOT NULL,
    value       text    NOT NULL,
    hist        jsonb   NOT NULL CHECK (jsonb_typeof(hist) = 'object'),
    PRIMARY KEY (dim, month, from_member, to_member, measure, value)
);

-- Published indicator sets: the canonical bytes the coordinator signed,
-- kept as signed, so that a set can be served and checked again later.
CREATE TABLE indicator_sets (
    id          text        PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    period      text        NOT NULL CHECK (period IN ('month', 'quarter', 'year')),
    range_from  date        NOT NULL,
    range_to    date        NOT NULL CHECK (range_to > range_from),
    signed      bytea       NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION indicator_bucket(d interval) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN extract(epoch FROM d) <= 0 THEN 0
        WHEN extract(epoch FROM d) <= 168 * 3600 THEN ceil(extract(epoch FROM d) / 3600)::integer
        ELSE 168 + ceil((extract(epoch FROM d) - 168 * 3600) / 86400)::integer
    END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION indicator_month(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc('month', t AT TIME ZONE 'UTC')::date
$$;
-- +goose StatementEnd

-- The sum of two histograms; empty buckets are dropped.
-- +goose StatementBegin
CREATE FUNCTION indicator_hist_add(a jsonb, b jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_object_agg(k, n) FILTER (WHERE n <> 0), '{}')
    FROM (SELECT k, sum(v::bigint) AS n
          FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) AS x(k, v)
          GROUP BY k) AS y
$$;
-- +goose StatementEnd

-- The breakdowns a step or duration is counted under.
-- +goose StatementBegin
CREATE FUNCTION indicator_dims(sector text, age_band text, sex text, closure_reason text)
RETURNS TABLE (dim text, value text) LANGUAGE sql IMMUTABLE AS $$
    SELECT * FROM (VALUES ('', ''), ('sector', sector), ('age_band', age_band), ('sex', sex),
        ('closure_reason', closure_reason)) AS d(dim, value)
    WHERE d.dim <> 'closure_reason' OR closure_reason <> ''
$$;
-- +goose StatementEnd

-- The steps one event marks.
-- +goose StatementBegin
CREATE FUNCTION indicator_event_steps(e tracking_events) RETURNS SETOF indicator_steps LANGUAGE sql IMMUTABLE AS $$
    SELECT e.referral_id, s.step, s.at, s.started_at, e.event_id, e.sender_member, e.recipient_member,
        coalesce(nullif(e.sector, ''), 'not_reported'), coalesce(nullif(e.age_band, ''), 'not_reported'),
        coalesce(nullif(e.sex, ''), 'not_reported'),
        CASE WHEN s.step = 'closed' THEN coalesce(nullif(e.closure_reason, ''), 'not_reported') ELSE '' END
    FROM (
        SELECT 'referred' AS step, e.at, e.identified_at AS started_at WHERE e.milestone = 'referral_sent'
        UNION ALL SELECT 'identified', coalesce(e.identified_at, e.at), NULL
            WHERE e.milestone = 'referral_sent' AND e.previous_referral_id = ''
        UNION ALL SELECT 'accepted', e.at, NULL WHERE e.milestone = 'referral_accepted'
        UNION ALL SELECT 'declined', e.at, NULL WHERE e.milestone = 'referral_declined'
        UNION ALL SELECT 'handed_over', e.at, NULL WHERE e.milestone = 'handed_over'
        UNION ALL SELECT 'receiving_services', e.at, NULL WHERE e.milestone = 'service_recorded'
        UNION ALL SELECT 'followed_up', e.at, NULL WHERE e.milestone = 'follow_up_recorded'
        UNION ALL SELECT 'not_working', e.at, NULL WHERE e.milestone = 'follow_up_recorded' AND e.still_working = 'no'
        UNION ALL SELECT 'closed', e.at, NULL WHERE e.milestone = 'case_closed'
    ) AS s
$$;
-- +goose StatementEnd

-- The durations of every referral, from its steps; a query for one
-- referral reads only that referral's steps.
CREATE VIEW indicator_duration_rows AS
    SELECT e.referral_id, m.measure, e.from_member, e.to_member, indicator_month(e.at) AS month,
        e.sector, e.age_band, e.sex, indicator_bucket(e.at - s.at) AS bucket
    FROM indicator_steps e
    JOIN (VALUES ('referral_to_decision', 'accepted', 'referred'),
                 ('referral_to_decision', 'declined', 'referred'),
                 ('decision_to_handover', 'handed_over', 'accepted'),
                 ('handover_to_follow_up', 'followed_up', 'handed_over')) AS m(measure, end_step, start_step)
        ON e.step = m.end_step
    JOIN indicator_steps s ON s.referral_id = e.referral_id AND s.step = m.start_step
    UNION ALL
    SELECT referral_id, 'identification_to_referral', from_member, to_member, indicator_month(at),
        sector, age_band, sex, indicator_bucket(at - started_at)
    FROM indicator_steps
    WHERE step = 'referred' AND started_at IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION indicator_add_durations(r text, delta bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO indicator_durations (from_member, to_member, measure, dim, month, value, hist)
    SELECT from_member, to_member, measure, dim, month, value, jsonb_object_agg(bucket, n)
    FROM (SELECT d.from_member, d.to_member, d.measure, x.dim, d.month, x.value, d.bucket, count(*) * delta AS n
          FROM indicator_duration_rows d, indicator_dims(d.sector, d.age_band, d.sex, '') x
          WHERE d.referral_id = r
          GROUP BY 1, 2, 3, 4, 5, 6, 7) AS b
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (dim, month, from_member, to_member, measure, value)
        DO UPDATE SET hist = indicator_hist_add(indicator_durations.hist, EXCLUDED.hist)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION indicator_add_count(s indicator_steps, delta bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO indicator_counts (from_member, to_member, indicator, dim, month, value, n)
    SELECT s.from_member, s.to_member, s.step, x.dim, indicator_month(s.at), x.value, delta
    FROM indicator_dims(s.sector, s.age_band, s.sex, s.closure_reason) x
    ON CONFLICT (dim, month, from_member, to_member, indicator, value)
        DO UPDATE SET n = indicator_counts.n + EXCLUDED.n
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION indicator_ingest() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st indicator_steps;
    prev indicator_steps;
    had boolean;
    changed boolean := false;
BEGIN
    -- One referral's events are aggregated one at a time.
    PERFORM pg_advisory_xact_lock(hashtextextended('indicators/' || NEW.referral_id, 0));
    FOR st IN SELECT * FROM indicator_event_steps(NEW) LOOP
        SELECT * INTO prev FROM indicator_steps WHERE referral_id = st.referral_id AND step = st.step;
        had := FOUND; -- PERFORM below sets FOUND again
        IF had AND (prev.at, prev.event_id) <= (st.at, st.event_id) THEN
            CONTINUE;
        END IF;
        IF NOT changed THEN
            changed := true;
            PERFORM indicator_add_durations(NEW.referral_id, -1);
        END IF;
        IF had THEN
            PERFORM indicator_add_count(prev, -1);
            DELETE FROM indicator_steps WHERE referral_id = prev.referral_id AND step = prev.step;
        END IF;
        INSERT INTO indicator_steps VALUES (st.*);
        PERFORM indicator_add_count(st, 1);
    END LOOP;
    IF changed THEN
        PERFORM indicator_add_durations(NEW.referral_id, 1);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER tracking_events_indicators AFTER INSERT ON tracking_events
    FOR EACH ROW EXECUTE FUNCTION indicator_ingest();

-- indicator_rebuild computes the aggregates from every stored event: after
-- a bulk load made with the trigger disabled, or to check the incremental
-- figures.
-- +goose StatementBegin
CREATE FUNCTION indicator_rebuild() RETURNS void LANGUAGE sql AS $$
    TRUNCATE indicator_steps, indicator_counts, indicator_durations;
    INSERT INTO indicator_steps
    SELECT DISTINCT ON (s.referral_id, s.step) s.*
    FROM tracking_events e, indicator_event_steps(e) s
    ORDER BY s.referral_id, s.step, s.at, s.event_id;
    INSERT INTO indicator_counts (from_member, to_member, indicator, dim, month, value, n)
    SELECT s.from_member, s.to_member, s.step, x.dim, indicator_month(s.at), x.value, count(*)
    FROM indicator_steps s, indicator_dims(s.sector, s.age_band, s.sex, s.closure_reason) x
    GROUP BY 1, 2, 3, 4, 5, 6;
    INSERT INTO indicator_durations (from_member, to_member, measure, dim, month, value, hist)
    SELECT from_member, to_member, measure, dim, month, value, jsonb_object_agg(bucket, n)
    FROM (SELECT d.from_member, d.to_member, d.measure, x.dim, d.month, x.value, d.bucket, count(*) AS n
          FROM indicator_duration_rows d, indicator_dims(d.sector, d.age_band, d.sex, '') x
          GROUP BY 1, 2, 3, 4, 5, 6, 7) AS b
    GROUP BY 1, 2, 3, 4, 5, 6;
$$;
-- +goose StatementEnd

-- Events stored before this migration.
SELECT indicator_rebuild();

-- +goose Down
DROP TRIGGER tracking_events_indicators ON tracking_events;
DROP FUNCTION indicator_rebuild();
DROP FUNCTION indicator_ingest();
DROP FUNCTION indicator_add_count(indicator_steps, bigint);
DROP FUNCTION indicator_add_durations(text, bigint);
DROP VIEW indicator_duration_rows;
DROP FUNCTION indicator_event_steps(tracking_events);
DROP FUNCTION indicator_dims(text, text, text, text);
DROP FUNCTION indicator_hist_add(jsonb, jsonb);
DROP FUNCTION indicator_month(timestamptz);
DROP FUNCTION indicator_bucket(interval);
DROP TABLE indicator_sets;
DROP TABLE indicator_durations;
DROP TABLE indicator_counts;
DROP TABLE indicator_steps;
