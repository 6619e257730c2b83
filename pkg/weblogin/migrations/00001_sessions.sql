-- +goose Up
-- A login in progress: what the callback needs to finish it. The state is
-- the key, stored as its SHA-256 only; the browser holds the state itself in
-- a cookie bound to the attempt. Rows are single-use and short-lived.
CREATE TABLE weblogin_attempts (
    state_hash    bytea PRIMARY KEY CHECK (octet_length(state_hash) = 32),
    provider      text NOT NULL,
    nonce         text NOT NULL,
    code_verifier text NOT NULL,
    return_path   text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX weblogin_attempts_expires_at ON weblogin_attempts (expires_at);

-- A person's session. The id the browser holds is never stored: only its
-- SHA-256, so that a read of this table does not yield usable cookies.
CREATE TABLE weblogin_sessions (
    id_hash      bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    provider     text NOT NULL,
    -- principal is the auth.Principal the access token mapped to at login.
    principal    jsonb NOT NULL,
    -- id_token is sent back as id_token_hint at logout.
    id_token     text NOT NULL,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    -- expires_at is the absolute timeout: created_at plus its length.
    expires_at   timestamptz NOT NULL
);
CREATE INDEX weblogin_sessions_expires_at ON weblogin_sessions (expires_at);
CREATE INDEX weblogin_sessions_last_seen_at ON weblogin_sessions (last_seen_at);

-- +goose Down
DROP TABLE weblogin_sessions;
DROP TABLE weblogin_attempts;
