-- Bot flows (package flow): a designer's document, saved as a draft and
-- published as immutable numbered versions; an inbox names the flow its
-- new conversations start in, and a conversation keeps the version it
-- started with. The interpreter runs in the conversation's workflow; what
-- it produces lands here (bot messages, fields) and in the funnel counters.

-- +goose Up
CREATE TABLE flows (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The document being edited (validated on save).
    draft         jsonb NOT NULL,
    -- The version new conversations start in; null: not published.
    live_version  integer,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, id),
    UNIQUE (workspace_id, name)
);

CREATE TABLE flow_versions (
    workspace_id  uuid NOT NULL,
    flow_id       uuid NOT NULL,
    version       integer NOT NULL CHECK (version > 0),
    document      jsonb NOT NULL,
    -- A rollback publishes an old version's document again, as a new
    -- version that says which.
    copied_from   integer,
    published_by  uuid,
    published_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (flow_id, version),
    FOREIGN KEY (workspace_id, flow_id) REFERENCES flows (workspace_id, id) ON DELETE CASCADE
);

ALTER TABLE flows ADD FOREIGN KEY (id, live_version) REFERENCES flow_versions (flow_id, version) DEFERRABLE INITIALLY DEFERRED;

-- The flow an inbox's new conversations start in (its live version).
ALTER TABLE inboxes ADD COLUMN flow_id uuid;
ALTER TABLE inboxes ADD FOREIGN KEY (workspace_id, flow_id) REFERENCES flows (workspace_id, id) ON DELETE SET NULL (flow_id);

-- The flow version a conversation started in (it keeps it), and what the
-- bot collected for the people who take over (and anyone later).
ALTER TABLE conversations ADD COLUMN flow_id uuid;
ALTER TABLE conversations ADD COLUMN flow_version integer;
ALTER TABLE conversations ADD COLUMN fields jsonb NOT NULL DEFAULT '{}';
-- The interpreter's state (flow.State): where the bot is, its variables.
-- Kept here, not in the workflow's history: it holds what customers wrote.
ALTER TABLE conversations ADD COLUMN bot_state jsonb;
-- A bot message's quick-reply buttons.
ALTER TABLE messages ADD COLUMN quick_replies text[] NOT NULL DEFAULT '{}';
ALTER TABLE contacts ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}';

-- What a visitor writes to ask for a person, matched like keyword rules.
ALTER TABLE workspaces ADD COLUMN human_phrases text[] NOT NULL
    DEFAULT '{human,agent,operator,"real person","talk to someone","speak to someone"}';

-- The hosts a flow's http node may call (exact names; empty: none).
ALTER TABLE workspaces ADD COLUMN flow_http_hosts text[] NOT NULL DEFAULT '{}';

-- A flow step's writes happen once: the workflow names each step, and a
-- retried activity finds its step done.
CREATE TABLE flow_steps (
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    step            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, step),
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE
);

-- Funnels: per flow version, node and edge left by, per day, how many
-- times. Kept as steps happen; read without scanning conversations.
CREATE TABLE flow_hops (
    workspace_id uuid NOT NULL,
    flow_id      uuid NOT NULL,
    version      integer NOT NULL,
    node         text NOT NULL,
    edge         text NOT NULL,
    day          date NOT NULL,
    n            bigint NOT NULL,
    PRIMARY KEY (flow_id, version, node, edge, day),
    FOREIGN KEY (workspace_id, flow_id) REFERENCES flows (workspace_id, id) ON DELETE CASCADE
);

-- Outcomes: per flow version, day and department, how many conversations
-- started in the flow, and how many left it by each way out (a handoff
-- reason, or 'ended').
CREATE TABLE flow_outcomes (
    workspace_id  uuid NOT NULL,
    flow_id       uuid NOT NULL,
    version       integer NOT NULL,
    day           date NOT NULL,
    department_id uuid NOT NULL, -- the nil uuid: none
    outcome       text NOT NULL, -- started, ended, or the handoff's reason
    n             bigint NOT NULL,
    PRIMARY KEY (flow_id, version, day, department_id, outcome),
    FOREIGN KEY (workspace_id, flow_id) REFERENCES flows (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX flow_outcomes_workspace_day ON flow_outcomes (workspace_id, day);

-- +goose Down
DROP TABLE flow_outcomes;
DROP TABLE flow_hops;
DROP TABLE flow_steps;
ALTER TABLE workspaces DROP COLUMN flow_http_hosts;
ALTER TABLE workspaces DROP COLUMN human_phrases;
ALTER TABLE contacts DROP COLUMN attributes;
ALTER TABLE messages DROP COLUMN quick_replies;
ALTER TABLE conversations DROP COLUMN bot_state;
ALTER TABLE conversations DROP COLUMN fields;
ALTER TABLE conversations DROP COLUMN flow_version;
ALTER TABLE conversations DROP COLUMN flow_id;
ALTER TABLE inboxes DROP COLUMN flow_id;
ALTER TABLE flows DROP CONSTRAINT flows_id_live_version_fkey;
DROP TABLE flow_versions;
DROP TABLE flows;
