-- Dispatch: a queued conversation goes to an online operator of its
-- department with free capacity the moment one exists (docs/DISPATCH.md).
-- A department says how (manual: its Unclaimed queue; round_robin;
-- least_loaded) and how many conversations an operator carries at once
-- (an operator may have a limit of their own). The decision is a row of
-- dispatch_offers written in the transaction that saw the chance (a
-- conversation queued, an operator online or freed, a setting changed),
-- with an outbox row that takes it to the conversation's workflow, which
-- alone writes the assignee and deletes the row as it does.

-- +goose Up
ALTER TABLE departments
    ADD COLUMN dispatch_mode text NOT NULL DEFAULT 'manual'
        CHECK (dispatch_mode IN ('manual', 'round_robin', 'least_loaded')),
    ADD COLUMN max_concurrent integer NOT NULL DEFAULT 5 CHECK (max_concurrent BETWEEN 1 AND 1000);

ALTER TABLE operators
    ADD COLUMN max_concurrent integer CHECK (max_concurrent BETWEEN 1 AND 1000);

-- Round robin turns by who was given work longest ago, per department.
ALTER TABLE department_members ADD COLUMN last_dispatched_at timestamptz;

-- When the conversation entered its department's queue; null while it is
-- not queued. The queue is ordered by priority, then by this.
ALTER TABLE conversations ADD COLUMN queued_at timestamptz;
UPDATE conversations SET queued_at = last_activity_at WHERE status = 'open' AND phase = 'queued';
CREATE INDEX conversations_queue ON conversations (workspace_id, department_id, queued_at)
    WHERE status = 'open' AND phase = 'queued';
-- An operator's load: their open, assigned conversations.
CREATE INDEX conversations_load ON conversations (workspace_id, assignee_id)
    WHERE status = 'open' AND phase = 'assigned';

CREATE TABLE dispatch_offers (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    -- One decision at a time per conversation.
    conversation_id uuid NOT NULL UNIQUE,
    department_id   uuid NOT NULL,
    operator_id     uuid NOT NULL,
    mode            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, department_id) REFERENCES departments (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, operator_id) REFERENCES operators (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX dispatch_offers_operator ON dispatch_offers (workspace_id, operator_id);

-- An offer reaches its conversation's workflow through the outbox.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('conversation.started', 'message.created', 'dispatch.offer'));

-- +goose Down
DELETE FROM outbox WHERE kind = 'dispatch.offer';
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check,
    ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('conversation.started', 'message.created'));
DROP TABLE dispatch_offers;
DROP INDEX conversations_load;
DROP INDEX conversations_queue;
ALTER TABLE conversations DROP COLUMN queued_at;
ALTER TABLE department_members DROP COLUMN last_dispatched_at;
ALTER TABLE operators DROP COLUMN max_concurrent;
ALTER TABLE departments DROP COLUMN dispatch_mode, DROP COLUMN max_concurrent;
