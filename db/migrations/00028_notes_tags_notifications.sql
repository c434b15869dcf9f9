-- What operators add around a conversation, never shown to the visitor:
-- private notes (with @mentions), tags, and the notification inbox that
-- tells an operator what needs them.
--
-- Notes take the conversation's next seq (one sequence with messages and
-- events, so the inbox orders its timeline by seq alone), but no message
-- counter, preview or activity time changes: a note is not the customer's
-- business and does not move the conversation up the list.
--
-- Tags live on the row they tag (conversations.tag_ids, contacts.tag_ids):
-- every read of a conversation carries them without a join, the list
-- filters by one through a GIN index, and a message's update, which never
-- touches them, stays a HOT update. Adding and removing one is a
-- conversation event; such events are not the workflow's, so they carry
-- no lifecycle version.

-- +goose Up
CREATE TABLE conversation_notes (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    seq             bigint NOT NULL,
    author_id       uuid NOT NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    -- The operators the body mentions, as resolved when it was written.
    mentions        uuid[] NOT NULL DEFAULT '{}',
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    edited_at       timestamptz,
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, author_id) REFERENCES operators (workspace_id, id),
    UNIQUE (conversation_id, seq),
    UNIQUE (workspace_id, id)
);
CREATE UNIQUE INDEX conversation_notes_idempotency ON conversation_notes (conversation_id, author_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE TABLE tags (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    color        text NOT NULL CHECK (color ~ '^#[0-9a-f]{6}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, id)
);
-- "Billing" and "billing" are one tag.
CREATE UNIQUE INDEX tags_name ON tags (workspace_id, lower(name));

ALTER TABLE conversations ADD COLUMN tag_ids uuid[] NOT NULL DEFAULT '{}';
CREATE INDEX conversations_tags ON conversations USING gin (tag_ids);
ALTER TABLE contacts ADD COLUMN tag_ids uuid[] NOT NULL DEFAULT '{}';
CREATE INDEX contacts_tags ON contacts USING gin (tag_ids);

ALTER TABLE conversation_events ALTER COLUMN version DROP NOT NULL;

-- The operator's notification inbox: one item per thing that needs them.
-- dedupe_key names its cause (the note that mentioned them, the change
-- that assigned them), so the transaction that makes the change inserts
-- the item once, however often it is retried.
CREATE TABLE notifications (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    operator_id     uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('mention', 'assigned', 'offered', 'follow_up', 'sla_warning', 'ticket_update')),
    dedupe_key      text NOT NULL,
    actor_id        uuid,
    conversation_id uuid,
    contact_id      uuid,
    note_id         uuid,
    -- What the item says beside its kind: the note's start, the
    -- conversation's subject or last words, as they were.
    preview         text NOT NULL DEFAULT '',
    read_at         timestamptz,
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (workspace_id, operator_id) REFERENCES operators (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE,
    UNIQUE (operator_id, dedupe_key),
    UNIQUE (workspace_id, id)
);
CREATE INDEX notifications_operator ON notifications (workspace_id, operator_id, created_at DESC, id DESC);
-- The unread count reads only what is unread.
CREATE INDEX notifications_unread ON notifications (workspace_id, operator_id)
    WHERE read_at IS NULL AND archived_at IS NULL;

-- +goose Down
DROP TABLE notifications;
DELETE FROM conversation_events WHERE version IS NULL;
ALTER TABLE conversation_events ALTER COLUMN version SET NOT NULL;
ALTER TABLE contacts DROP COLUMN tag_ids;
ALTER TABLE conversations DROP COLUMN tag_ids;
DROP TABLE tags;
DROP TABLE conversation_notes;
