-- The audit trail: one hash chain of entries per country database, the
-- chain head that serialises appends, and signed checkpoints of the head.
-- docs/operations.md ("Audit trail") gives the exact hash encoding, so an
-- inquiry can re-check entries by hand, and the GRANTs production uses.

-- +goose Up
CREATE TABLE audit_entries (
    seq          bigint      PRIMARY KEY CHECK (seq > 0),
    at           timestamptz NOT NULL,
    actor        text        NOT NULL,  -- subject@issuer, or a service's name; '' when unknown (401)
    roles        text[]      NOT NULL DEFAULT '{}',
    action       text        NOT NULL CHECK (action <> ''),
    outcome      text        NOT NULL CHECK (outcome IN ('allowed', 'denied', 'error')),
    object_type  text        NOT NULL,
    object_id    text        NOT NULL,  -- an identifier (referral id, message id), never personal data
    detail       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object'),
    prev_hash    bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash         bytea       NOT NULL CHECK (length(hash) = 32)
);
CREATE INDEX audit_entries_at ON audit_entries (at);
CREATE INDEX audit_entries_object ON audit_entries (object_type, object_id, seq);

-- One row: the last entry's sequence number and hash. Every append locks
-- it (SELECT … FOR UPDATE), so entries are numbered in commit order and
-- each names the hash of the one before.
CREATE TABLE audit_chain_head (
    id    integer PRIMARY KEY CHECK (id = 1),
    seq   bigint  NOT NULL CHECK (seq >= 0),
    hash  bytea   NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- A checkpoint is the chain head (seq, hash) at signed_at, signed with the
-- country's Ed25519 audit key: entries removed from the end of the chain,
-- or a chain rebuilt from some entry on, no longer match it.
CREATE TABLE audit_checkpoints (
    seq        bigint      PRIMARY KEY CHECK (seq > 0),
    hash       bytea       NOT NULL CHECK (length(hash) = 32),
    signed_at  timestamptz NOT NULL,
    key_id     text        NOT NULL CHECK (key_id <> ''),
    signature  bytea       NOT NULL CHECK (length(signature) = 64)
);

-- Entries and checkpoints are never changed nor removed, by anyone the
-- triggers apply to; a superuser can bypass them, which the hash chain and
-- the signed checkpoints then reveal.

-- +goose StatementBegin
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_check_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq THEN
        RAISE EXCEPTION 'the audit chain head only moves forward'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM audit_entries WHERE seq = NEW.seq AND hash = NEW.hash) THEN
        RAISE EXCEPTION 'the audit chain head must name an entry'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_head_forward BEFORE UPDATE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_check_head();
CREATE TRIGGER audit_chain_head_kept BEFORE DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Nobody is granted what the triggers refuse, the owner included (the
-- owner could grant it back, which is why production runs the services
-- under a role that does not own these tables: docs/operations.md).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries, audit_checkpoints FROM PUBLIC, CURRENT_USER;
REVOKE DELETE, TRUNCATE ON audit_chain_head FROM PUBLIC, CURRENT_USER;

-- +goose Down
DROP TABLE audit_checkpoints;
DROP TABLE audit_chain_head;
DROP TABLE audit_entries;
DROP FUNCTION audit_check_head();
DROP FUNCTION audit_refuse_change();
