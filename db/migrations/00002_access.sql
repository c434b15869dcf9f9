-- +goose Up

-- Widget identity verification: sites sign a contact's external id with
-- HMAC-SHA256(identity_secret, external_id); a workspace can require it.
ALTER TABLE workspaces
    ADD COLUMN identity_secret bytea NOT NULL DEFAULT decode(md5(random()::text) || md5(random()::text), 'hex'),
    ADD COLUMN require_identity boolean NOT NULL DEFAULT false;

-- A session's CSRF token: state-changing requests must echo it in the
-- X-CSRF-Token header.
ALTER TABLE operator_sessions
    ADD COLUMN csrf_token text NOT NULL DEFAULT '';

ALTER TABLE operators
    ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN deactivated_at timestamptz;

-- Department membership: operators see their departments' queues,
-- supervisors all of their departments' conversations.
CREATE TABLE department_members (
    workspace_id  uuid NOT NULL,
    department_id uuid NOT NULL,
    operator_id   uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department_id, operator_id),
    FOREIGN KEY (workspace_id, department_id) REFERENCES departments (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, operator_id) REFERENCES operators (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX department_members_operator ON department_members (workspace_id, operator_id);

-- An inbox is a channel into the workspace (the website widget now; email
-- and others later) with the departments that work it.
CREATE TABLE inboxes (
    id                    uuid PRIMARY KEY,
    workspace_id          uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    channel               text NOT NULL DEFAULT 'widget' CHECK (channel IN ('widget')),
    -- Page origins allowed to open the widget socket; empty allows any.
    allowed_origins       text[] NOT NULL DEFAULT '{}',
    -- Where new conversations of this inbox are queued.
    default_department_id uuid,
    created_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, name),
    FOREIGN KEY (workspace_id, default_department_id) REFERENCES departments (workspace_id, id) ON DELETE SET NULL (default_department_id)
);

CREATE TABLE inbox_departments (
    workspace_id  uuid NOT NULL,
    inbox_id      uuid NOT NULL,
    department_id uuid NOT NULL,
    PRIMARY KEY (inbox_id, department_id),
    FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, department_id) REFERENCES departments (workspace_id, id) ON DELETE CASCADE
);

ALTER TABLE conversations
    ADD COLUMN inbox_id uuid,
    ADD FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes (workspace_id, id);

ALTER TABLE visitors
    ADD COLUMN inbox_id uuid,
    ADD COLUMN identity_verified boolean NOT NULL DEFAULT false,
    ADD FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes (workspace_id, id);

-- Customer-profile notes for customer service: admins only.
ALTER TABLE contacts
    ADD COLUMN cs_notes text NOT NULL DEFAULT '',
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- One-time tokens: invitations and password resets. Only the hash is kept.
CREATE TABLE operator_tokens (
    id             uuid NOT NULL UNIQUE,
    token_hash     bytea PRIMARY KEY,
    workspace_id   uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('invite', 'password_reset')),
    -- invite: who is invited and as what; password_reset: whose password.
    email          text NOT NULL DEFAULT '',
    role           text NOT NULL DEFAULT 'operator' CHECK (role IN ('admin', 'supervisor', 'operator')),
    department_ids uuid[] NOT NULL DEFAULT '{}',
    operator_id    uuid,
    created_by     uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    FOREIGN KEY (workspace_id, operator_id) REFERENCES operators (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX operator_tokens_workspace ON operator_tokens (workspace_id, created_at DESC);

-- API tokens for the public REST API: shown once, stored hashed.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    token_hash   bytea NOT NULL UNIQUE,
    -- The first characters, to tell tokens apart in a list.
    prefix       text NOT NULL,
    role         text NOT NULL CHECK (role IN ('admin', 'supervisor', 'operator')),
    -- The token acts as this operator, with the token's role.
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, created_by) REFERENCES operators (workspace_id, id) ON DELETE CASCADE
);

-- Who changed access and settings, and when. Admins read it.
CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    actor_type   text NOT NULL CHECK (actor_type IN ('operator', 'api_token', 'system')),
    actor_id     uuid,
    action       text NOT NULL,
    target_type  text NOT NULL DEFAULT '',
    target_id    uuid,
    data         jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE operator_tokens;
ALTER TABLE contacts DROP COLUMN cs_notes, DROP COLUMN updated_at;
ALTER TABLE visitors DROP COLUMN inbox_id, DROP COLUMN identity_verified;
ALTER TABLE conversations DROP COLUMN inbox_id;
DROP TABLE inbox_departments;
DROP TABLE inboxes;
DROP TABLE department_members;
ALTER TABLE operators DROP COLUMN status_changed_at, DROP COLUMN deactivated_at;
ALTER TABLE operator_sessions DROP COLUMN csrf_token;
ALTER TABLE workspaces DROP COLUMN identity_secret, DROP COLUMN require_identity;
