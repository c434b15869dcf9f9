-- What happens to an operator's assigned conversations when they go away
-- (their sockets gone past the grace period, or offline by their choice):
-- kept, or, in a department whose policy is requeue, returned to the queue
-- by each conversation's workflow (an outbox row per conversation), where
-- dispatch finds someone online.

-- +goose Up
ALTER TABLE departments
    ADD COLUMN away_policy text NOT NULL DEFAULT 'keep' CHECK (away_policy IN ('keep', 'requeue'));
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('conversation.started', 'message.created', 'dispatch.offer', 'dispatch.release'));

-- +goose Down
DELETE FROM outbox WHERE kind = 'dispatch.release';
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('conversation.started', 'message.created', 'dispatch.offer'));
ALTER TABLE departments DROP COLUMN away_policy;
