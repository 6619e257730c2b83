-- The message type status_change: one message for the events that change a
-- referral's status without a record of their own (cancel, suspend, resume,
-- report_handover_failed, mark_entered_in_error). The constraints are the
-- ones 00001 declared inline, under PostgreSQL's default names.

-- +goose Up
ALTER TABLE exchange_outbox DROP CONSTRAINT exchange_outbox_message_type_check,
    ADD CONSTRAINT exchange_outbox_message_type_check CHECK (message_type IN (
        'referral', 'decision', 'withdrawal', 'info_request',
        'info_response', 'handover_plan', 'handover_confirmation',
        'service_update', 'follow_up', 'closure', 'status_change'));
ALTER TABLE exchange_inbox DROP CONSTRAINT exchange_inbox_message_type_check,
    ADD CONSTRAINT exchange_inbox_message_type_check CHECK (message_type IN (
        'referral', 'decision', 'withdrawal', 'info_request',
        'info_response', 'handover_plan', 'handover_confirmation',
        'service_update', 'follow_up', 'closure', 'status_change'));

-- +goose Down
ALTER TABLE exchange_outbox DROP CONSTRAINT exchange_outbox_message_type_check,
    ADD CONSTRAINT exchange_outbox_message_type_check CHECK (message_type IN (
        'referral', 'decision', 'withdrawal', 'info_request',
        'info_response', 'handover_plan', 'handover_confirmation',
        'service_update', 'follow_up', 'closure'));
ALTER TABLE exchange_inbox DROP CONSTRAINT exchange_inbox_message_type_check,
    ADD CONSTRAINT exchange_inbox_message_type_check CHECK (message_type IN (
        'referral', 'decision', 'withdrawal', 'info_request',
        'info_response', 'handover_plan', 'handover_confirmation',
        'service_update', 'follow_up', 'closure'));
