-- SLA policies (package sla, docs/SLA.md): a workspace's ordered list; the
-- first enabled one whose conditions match a conversation applies. The
-- document holds conditions, targets, the warning threshold, pause rules
-- and the escalation ladder as package sla reads and validates them.
-- version counts a policy's edits; workspaces.sla_version counts every
-- edit of the policies or of the workspace's business hours, so running
-- clocks notice an edit when they next matter, without a signal each.
-- The workspace's business hours are the calendar of conversations whose
-- department has none.

-- +goose Up
CREATE TABLE sla_policies (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    position     integer NOT NULL CHECK (position >= 0),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    enabled      boolean NOT NULL DEFAULT true,
    document     jsonb NOT NULL,
    version      bigint NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, id)
);
CREATE INDEX sla_policies_order ON sla_policies (workspace_id, position);

ALTER TABLE workspaces
    ADD COLUMN business_hours jsonb,
    ADD COLUMN sla_version bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE workspaces DROP COLUMN business_hours, DROP COLUMN sla_version;
DROP TABLE sla_policies;
