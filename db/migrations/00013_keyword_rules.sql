-- Keyword rules: a workspace's phrases that raise a conversation's priority
-- and, while a bot has it, hand it to people (docs/SIGNALS.md). They are
-- matched on the hot path against a cached rule set; the match rides with
-- the message to the conversation's workflow, which applies it.

-- +goose Up
CREATE TABLE keyword_rules (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- Lowercased, accent-folded phrases, matched as whole words.
    phrases       text[] NOT NULL CHECK (cardinality(phrases) BETWEEN 1 AND 50),
    -- The least priority a matching conversation gets (a rule never lowers one).
    priority      text NOT NULL CHECK (priority IN ('normal', 'high', 'urgent')),
    -- Where a conversation the bot has goes when it matches; null: the
    -- conversation's own department.
    department_id uuid,
    -- Rules are tried in position order; the first that matches wins.
    position      integer NOT NULL CHECK (position >= 0),
    enabled       boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, id),
    FOREIGN KEY (workspace_id, department_id) REFERENCES departments (workspace_id, id) ON DELETE SET NULL (department_id)
);
CREATE INDEX keyword_rules_order ON keyword_rules (workspace_id, position, created_at);

-- The rule a customer's message matched (its id then; the rule may since
-- have changed or gone). Its reasons hold 'keyword_rule'.
ALTER TABLE messages ADD COLUMN keyword_rule_id uuid;

-- +goose Down
ALTER TABLE messages DROP COLUMN keyword_rule_id;
DROP TABLE keyword_rules;
