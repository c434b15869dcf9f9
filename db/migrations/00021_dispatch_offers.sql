-- The offer mode: a waiting conversation is offered to one online operator
-- at a time, who accepts or declines within the department's offer
-- timeout; declined or timed out, it is offered to the next; after everyone
-- has declined it waits in the Unclaimed queue. The declines of a
-- conversation's current wait are kept so the next offer skips them.

-- +goose Up
ALTER TABLE departments DROP CONSTRAINT departments_dispatch_mode_check,
    ADD CONSTRAINT departments_dispatch_mode_check CHECK (dispatch_mode IN ('manual', 'round_robin', 'least_loaded', 'offer')),
    ADD COLUMN offer_timeout_seconds integer NOT NULL DEFAULT 30 CHECK (offer_timeout_seconds BETWEEN 5 AND 600);

CREATE TABLE dispatch_declines (
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    operator_id     uuid NOT NULL,
    reason          text NOT NULL CHECK (reason IN ('declined', 'expired')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, operator_id),
    FOREIGN KEY (workspace_id, conversation_id) REFERENCES conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, operator_id) REFERENCES operators (workspace_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE dispatch_declines;
UPDATE departments SET dispatch_mode = 'round_robin' WHERE dispatch_mode = 'offer';
ALTER TABLE departments DROP COLUMN offer_timeout_seconds,
    DROP CONSTRAINT departments_dispatch_mode_check,
    ADD CONSTRAINT departments_dispatch_mode_check CHECK (dispatch_mode IN ('manual', 'round_robin', 'least_loaded'));
