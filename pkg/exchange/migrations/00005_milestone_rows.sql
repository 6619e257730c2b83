-- Milestone rows: an outbox row of type milestone carries tracking
-- attributes and no payload. The relay reports its milestone to the
-- coordinator and sends nothing to the other member, so it never awaits a
-- receipt. The case system writes one when it reaches a milestone by
-- applying the other side's message, which could not report it (two
-- handover confirmations that crossed). The inbox never holds one.

-- +goose Up
ALTER TABLE exchange_outbox DROP CONSTRAINT exchange_outbox_message_type_check,
    ADD CONSTRAINT exchange_outbox_message_type_check CHECK (message_type IN (
        'referral', 'decision', 'withdrawal', 'info_request',
        'info_response', 'handover_plan', 'handover_confirmation',
        'service_update', 'follow_up', 'closure', 'status_change', 'milestone')),
    DROP CONSTRAINT exchange_outbox_payload_check,
    ADD CONSTRAINT exchange_outbox_payload_check CHECK ((message_type = 'milestone') = (length(payload) = 0)),
    ADD CONSTRAINT exchange_outbox_milestone_tracking_check CHECK (message_type <> 'milestone' OR tracking IS NOT NULL);

-- +goose Down
DELETE FROM exchange_outbox WHERE message_type = 'milestone';
ALTER TABLE exchange_outbox DROP CONSTRAINT exchange_outbox_milestone_tracking_check,
    DROP CONSTRAINT exchange_outbox_payload_check,
    ADD CONSTRAINT exchange_outbox_payload_check CHECK (length(payload) > 0),
    DROP CONSTRAINT exchange_outbox_message_type_check,
    ADD CONSTRAINT exchange_outbox_message_type_check CHECK (message_type IN (
        'referral', 'decision', 'withdrawal', 'info_request',
        'info_response', 'handover_plan', 'handover_confirmation',
        'service_update', 'follow_up', 'closure', 'status_change'));
