-- The exchange tables: the contract between a member's case system
-- (casework, or a partner's own) and its relay. docs/exchange.md describes
-- who writes which column.

-- +goose Up
CREATE TABLE exchange_outbox (
    message_id        text        PRIMARY KEY CHECK (message_id <> ''),
    corridor          text        NOT NULL CHECK (corridor <> ''),
    message_type      text        NOT NULL CHECK (message_type IN (
                                      'referral', 'decision', 'withdrawal', 'info_request',
                                      'info_response', 'handover_plan', 'handover_confirmation',
                                      'service_update', 'follow_up', 'closure')),
    case_ref          text        NOT NULL CHECK (case_ref <> ''),
    referral_id       text        NOT NULL CHECK (referral_id <> ''),
    sender_agency     text        NOT NULL CHECK (sender_agency <> ''),
    recipient_member  text        NOT NULL CHECK (recipient_member <> ''),
    recipient_agency  text        NOT NULL CHECK (recipient_agency <> ''),
    payload           bytea       NOT NULL CHECK (length(payload) > 0),
    tracking          jsonb       NULL CHECK (tracking IS NULL OR jsonb_typeof(tracking) = 'object'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    published_at      timestamptz NULL,
    publish_attempts  integer     NOT NULL DEFAULT 0 CHECK (publish_attempts >= 0),
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    last_error        text        NULL,
    receipt_at        timestamptz NULL,
    receipt           bytea       NULL,
    CHECK ((receipt_at IS NULL) = (receipt IS NULL))
);

-- What the relay has yet to publish, in the order it publishes.
CREATE INDEX exchange_outbox_unpublished ON exchange_outbox (next_attempt_at, created_at)
    WHERE published_at IS NULL;
-- What the relay has published and must re-send until a receipt comes.
CREATE INDEX exchange_outbox_awaiting_receipt ON exchange_outbox (published_at)
    WHERE published_at IS NOT NULL AND receipt_at IS NULL;
CREATE INDEX exchange_outbox_referral ON exchange_outbox (referral_id, created_at);

CREATE TABLE exchange_inbox (
    message_id        text        PRIMARY KEY CHECK (message_id <> ''),
    corridor          text        NOT NULL CHECK (corridor <> ''),
    message_type      text        NOT NULL CHECK (message_type IN (
                                      'referral', 'decision', 'withdrawal', 'info_request',
                                      'info_response', 'handover_plan', 'handover_confirmation',
                                      'service_update', 'follow_up', 'closure')),
    case_ref          text        NOT NULL CHECK (case_ref <> ''),
    referral_id       text        NOT NULL CHECK (referral_id <> ''),
    sender_member     text        NOT NULL CHECK (sender_member <> ''),
    sender_agency     text        NOT NULL CHECK (sender_agency <> ''),
    recipient_agency  text        NOT NULL CHECK (recipient_agency <> ''),
    sent_at           timestamptz NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now(),
    payload           bytea       NOT NULL CHECK (length(payload) > 0),
    applied_at        timestamptz NULL,
    apply_attempts    integer     NOT NULL DEFAULT 0 CHECK (apply_attempts >= 0),
    apply_error       text        NULL,
    next_apply_at     timestamptz NOT NULL DEFAULT now()
);

-- What the case system has yet to apply.
CREATE INDEX exchange_inbox_unapplied ON exchange_inbox (next_apply_at, sent_at)
    WHERE applied_at IS NULL;
CREATE INDEX exchange_inbox_referral ON exchange_inbox (referral_id, sent_at);
-- What an operator must look at, newest first.
CREATE INDEX exchange_inbox_failed ON exchange_inbox (received_at DESC, message_id DESC)
    WHERE applied_at IS NULL AND apply_error IS NOT NULL;

-- Wake-ups. A notification is sent at commit and carries only the message
-- id; a listener reads the row itself, and polls as well, because
-- notifications are lost while it is not connected.

-- +goose StatementBegin
CREATE FUNCTION exchange_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], NEW.message_id);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER exchange_outbox_notify AFTER INSERT ON exchange_outbox
    FOR EACH ROW EXECUTE FUNCTION exchange_notify('exchange_outbox');
CREATE TRIGGER exchange_inbox_notify AFTER INSERT ON exchange_inbox
    FOR EACH ROW EXECUTE FUNCTION exchange_notify('exchange_inbox');
CREATE TRIGGER exchange_receipt_notify AFTER UPDATE OF receipt_at ON exchange_outbox
    FOR EACH ROW WHEN (OLD.receipt_at IS NULL AND NEW.receipt_at IS NOT NULL)
    EXECUTE FUNCTION exchange_notify('exchange_receipt');

-- +goose Down
DROP TABLE exchange_inbox;
DROP TABLE exchange_outbox;
DROP FUNCTION exchange_notify();
