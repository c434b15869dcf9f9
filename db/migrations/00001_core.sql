-- +goose Up

-- A workspace owns everything; every other table carries workspace_id and
-- every query filters by it.
CREATE TABLE workspaces (
    id                uuid PRIMARY KEY,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Signs visitor tokens. Per workspace so it can be rotated alone and so
    -- every API node reads the same key from the database.
    visitor_token_key bytea NOT NULL CHECK (length(visitor_token_key) >= 32),
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operators (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'supervisor', 'operator')),
    status        text NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, id)
);
-- Login is by email alone, so an email belongs to one operator.
CREATE UNIQUE INDEX operators_email ON operators (email);

CREATE TABLE operator_sessions (
    token_hash   bytea PRIMARY KEY,
    workspace_id uuid NOT NULL,
    operator_id  uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    FOREIGN KEY (workspace_id, operator_id) REFERENCES operators (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

CREATE TABLE departments (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name),
    UNIQUE (workspace_id, id)
);

CREATE TABLE contacts (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    external_id  text,
    name         text NOT NULL DEFAULT '',
    email        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, external_id),
    UNIQUE (workspace_id, id)
);

CREATE TABLE visitors (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   uuid,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id)
);

CREATE TABLE conversations (
    id                  uuid PRIMARY KEY,
    workspace_id        uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    visitor_id          uuid NOT NULL,
    contact_id          uuid,
    subject             text NOT NULL DEFAULT '',

    -- Lifecycle: written only by the conversation's workflow, through
    -- activities. lifecycle_version is the workflow's change counter; an
    -- activity applies a change only when its version is newer, so a retried
    -- activity changes nothing twice.
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'snoozed', 'resolved')),
    phase               text NOT NULL DEFAULT 'queued' CHECK (phase IN ('bot', 'queued', 'assigned')),
    assignee_id         uuid,
    department_id       uuid,
    priority            text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    snoozed_until       timestamptz,
    snooze_until_reply  boolean NOT NULL DEFAULT false,
    resolution          text,
    resolution_notes    text,
    resolved_at         timestamptz,
    lifecycle_version   bigint NOT NULL DEFAULT 0,
    -- The highest message seq the workflow had handled at its last change:
    -- a new run (after resolve) de-duplicates redelivered messages with it.
    workflow_message_seq bigint NOT NULL DEFAULT 0,

    -- Hot-path counters: one per-conversation sequence shared by messages
    -- and lifecycle events, so a client that reconnects asks for "after N".
    last_seq            bigint NOT NULL DEFAULT 0,
    message_count       integer NOT NULL DEFAULT 0,
    last_message_at     timestamptz,
    last_message_preview text NOT NULL DEFAULT '',
    last_activity_at    timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),

    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, visitor_id) REFERENCES visitors (workspace_id, id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id),
    FOREIGN KEY (workspace_id, assignee_id) REFERENCES operators (workspace_id, id),
    FOREIGN KEY (workspace_id, department_id) REFERENCES departments (workspace_id, id)
);
-- The inbox lists newest activity first, keyset-paged on (last_activity_at, id).
CREATE INDEX conversations_inbox ON conversations (workspace_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_assignee ON conversations (workspace_id, assignee_id, last_activity_at DESC, id DESC) WHERE assignee_id IS NOT NULL;
CREATE INDEX conversations_visitor ON conversations (workspace_id, visitor_id, created_at DESC);

CREATE TABLE messages (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    seq             bigint NOT NULL,
    sender_type     text NOT NULL CHECK (sender_type IN ('visitor', 'operator', 'bot', 'system')),
    sender_id       uuid,
    body            text NOT NULL,
    idempotency_key text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE,
    UNIQUE (conversation_id, seq)
);
-- A sender's retry with the same key finds the first copy.
CREATE UNIQUE INDEX messages_idempotency ON messages (conversation_id, sender_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Append-only: every lifecycle change with its actor and reason.
CREATE TABLE conversation_events (
    id              uuid PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    seq             bigint NOT NULL,
    version         bigint NOT NULL,
    type            text NOT NULL,
    actor_type      text NOT NULL CHECK (actor_type IN ('operator', 'visitor', 'system')),
    actor_id        uuid,
    reason          text NOT NULL DEFAULT '',
    data            jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE,
    UNIQUE (conversation_id, version),
    UNIQUE (conversation_id, seq)
);

-- Written in the same transaction as what it announces; the relay delivers
-- each row to the conversation's workflow and deletes it once Temporal has
-- accepted the signal.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('conversation.started', 'message.created')),
    payload         jsonb NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE outbox;
DROP TABLE conversation_events;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE visitors;
DROP TABLE contacts;
DROP TABLE departments;
DROP TABLE operator_sessions;
DROP TABLE operators;
DROP TABLE workspaces;
