-- +goose Up
-- A caseworker's closing of a case, waiting for a supervisor of the agency to
-- approve it, in a country that requires the approval
-- (CASEWORK_CLOSURE_APPROVAL). It is this country's business: nothing
-- crosses the border until a supervisor approves, and then as the close
-- event it always was. body is the close event's body as the caseworker
-- gave it.
CREATE TABLE closure_requests (
    referral_id  text        PRIMARY KEY REFERENCES referrals (id) ON DELETE CASCADE,
    body         jsonb       NOT NULL,
    requested_by text        NOT NULL,
    requested_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE closure_requests;
