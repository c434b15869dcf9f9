-- SLA clocks (docs/SLA.md). The conversation's workflow runs them; what
-- it records lands here, each row under a key of its cause, so a retried
-- activity records nothing twice:
--
-- * conversation_events gains dedupe_key: an SLA event (sla.activated,
--   sla.warned, sla.breached, ...) is keyed by its clock and kind, so a
--   breach is in the log once however often it is persisted;
-- * conversations.sla is what the inbox shows of the clocks that run
--   (policy, deadlines, breached); not indexed, so a message's update of
--   the row stays HOT;
-- * sla_clocks is the fact table: one row per conversation, metric and
--   cycle, with the real instants (met_at the reply, breached_at the
--   deadline itself) and the time counted;
-- * sla_rollups is what reports read: per day (of the clock's start,
--   UTC) and metric, the closed clocks met in time and breached, the time
--   counted, and a histogram of it (log-spaced buckets, package sla), for
--   the whole workspace and for each department, operator, policy,
--   priority and inbox (the channel): a month's report, whole or filtered
--   by one of them, reads at most a month of rows per metric, not the
--   conversations.

-- +goose Up
ALTER TABLE conversation_events ADD COLUMN dedupe_key text;
CREATE UNIQUE INDEX conversation_events_dedupe ON conversation_events (conversation_id, dedupe_key)
    WHERE dedupe_key IS NOT NULL;

ALTER TABLE conversations ADD COLUMN sla jsonb;

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('mention', 'assigned', 'offered', 'follow_up', 'sla_warning', 'sla_breach', 'ticket_update'));

CREATE TABLE sla_clocks (
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    metric          text NOT NULL CHECK (metric IN ('first_response', 'next_response', 'resolution', 'periodic_update')),
    cycle           integer NOT NULL CHECK (cycle >= 1),
    -- What the clock was measured under (kept when the policy goes).
    policy_id       uuid NOT NULL,
    policy_name     text NOT NULL,
    department_id   uuid,
    assignee_id     uuid,
    inbox_id        uuid,
    priority        text NOT NULL,
    business_hours  boolean NOT NULL,
    target_seconds  bigint NOT NULL,
    started_at      timestamptz NOT NULL,
    -- When it breaches if it runs on (null while paused, met or breached).
    deadline        timestamptz,
    warned_at       timestamptz,
    breached_at     timestamptz,
    met_at          timestamptz,
    cancelled       boolean NOT NULL DEFAULT false,
    elapsed_seconds bigint NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, metric, cycle),
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE
);
-- The report's breached conversations, and the clocks still open.
CREATE INDEX sla_clocks_breached ON sla_clocks (workspace_id, breached_at) WHERE breached_at IS NOT NULL;
-- Covering: the report counts them from the index alone.
CREATE INDEX sla_clocks_open ON sla_clocks (workspace_id, started_at)
    INCLUDE (metric, breached_at, policy_id, department_id, assignee_id, inbox_id, priority)
    WHERE met_at IS NULL AND NOT cancelled;
-- A report filtered by more than one dimension reads the clocks it covers:
-- by the operator's or the department's, else all the range's.
CREATE INDEX sla_clocks_started ON sla_clocks (workspace_id, started_at);
-- Covering too (an index-only scan of a month of one operator's clocks).
CREATE INDEX sla_clocks_assignee ON sla_clocks (workspace_id, assignee_id, started_at)
    INCLUDE (metric, breached_at, met_at, cancelled, elapsed_seconds, policy_id, department_id, inbox_id, priority);
CREATE INDEX sla_clocks_department ON sla_clocks (workspace_id, department_id, started_at)
    INCLUDE (metric, breached_at, met_at, cancelled, elapsed_seconds, policy_id, inbox_id, priority);

CREATE TABLE sla_rollups (
    workspace_id    uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The grain: 'all' (value '') or one dimension and its value (an id,
    -- or the priority).
    dimension       text NOT NULL CHECK (dimension IN ('all', 'department', 'operator', 'policy', 'priority', 'inbox')),
    value           text NOT NULL,
    day             date NOT NULL,
    metric          text NOT NULL,
    met             bigint NOT NULL DEFAULT 0,
    breached        bigint NOT NULL DEFAULT 0,
    seconds_sum     bigint NOT NULL DEFAULT 0,
    histogram       bigint[] NOT NULL,
    PRIMARY KEY (workspace_id, dimension, value, day, metric)
);

-- +goose Down
DROP TABLE sla_rollups;
DROP TABLE sla_clocks;
DELETE FROM notifications WHERE kind = 'sla_breach';
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('mention', 'assigned', 'offered', 'follow_up', 'sla_warning', 'ticket_update'));
ALTER TABLE conversations DROP COLUMN sla;
DROP INDEX conversation_events_dedupe;
ALTER TABLE conversation_events DROP COLUMN dedupe_key;
