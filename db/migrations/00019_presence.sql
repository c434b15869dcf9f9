-- Presence: an operator whose sockets all close is away after a grace
-- period and offline later; a socket again brings them back online. Each
-- API node records which operators hold a socket on it (a row while at
-- least one is open) and beats its heart; a dead node's rows stop
-- counting. status_auto marks a status that presence set, not the
-- operator: only that one comes back online by itself.

-- +goose Up
CREATE TABLE presence_nodes (
    node    text PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operator_presence (
    workspace_id uuid NOT NULL,
    operator_id  uuid NOT NULL,
    node         text NOT NULL REFERENCES presence_nodes (node) ON DELETE CASCADE,
    connected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operator_id, node),
    FOREIGN KEY (workspace_id, operator_id) REFERENCES operators (workspace_id, id) ON DELETE CASCADE
);

ALTER TABLE operators ADD COLUMN status_auto boolean NOT NULL DEFAULT false;

ALTER TABLE workspaces
    ADD COLUMN away_after_seconds integer NOT NULL DEFAULT 60 CHECK (away_after_seconds BETWEEN 5 AND 86400),
    ADD COLUMN offline_after_seconds integer NOT NULL DEFAULT 1800 CHECK (offline_after_seconds BETWEEN 5 AND 604800);

-- +goose Down
ALTER TABLE workspaces DROP COLUMN away_after_seconds, DROP COLUMN offline_after_seconds;
ALTER TABLE operators DROP COLUMN status_auto;
DROP TABLE operator_presence;
DROP TABLE presence_nodes;
