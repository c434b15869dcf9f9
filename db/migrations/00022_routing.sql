-- Routing rules: per inbox, in order, the first that matches sends a new
-- conversation (or one the bot hands to people without naming a
-- department) to its department; none: the inbox's default. The
-- conversation's workflow evaluates them (package routing) and records the
-- rule on its events. A conversation of an inbox with rules starts
-- unrouted (routed = false): in its default department's sight, but not
-- dispatched until its workflow has routed it.

-- +goose Up
CREATE TABLE routing_rules (
    id            uuid PRIMARY KEY,
    workspace_id  uuid NOT NULL,
    inbox_id      uuid NOT NULL,
    position      integer NOT NULL CHECK (position >= 0),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind          text NOT NULL CHECK (kind IN ('keywords', 'field', 'visitor_choice', 'always')),
    phrases       text[] NOT NULL DEFAULT '{}',
    field         text NOT NULL DEFAULT '',
    value         text NOT NULL DEFAULT '',
    department_id uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (inbox_id, position),
    FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, department_id) REFERENCES departments (workspace_id, id) ON DELETE CASCADE
);

ALTER TABLE conversations
    ADD COLUMN routed boolean NOT NULL DEFAULT true,
    -- The department the visitor picked in the widget, for a
    -- visitor_choice rule.
    ADD COLUMN chosen_department_id uuid;

-- +goose Down
ALTER TABLE conversations DROP COLUMN routed, DROP COLUMN chosen_department_id;
DROP TABLE routing_rules;
