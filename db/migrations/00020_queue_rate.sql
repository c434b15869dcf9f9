-- How fast each department's queue moves: conversations taken from it
-- (claimed, assigned, dispatched) per minute, kept as they happen. The
-- waiting visitor's estimate comes from the last hour of it.

-- +goose Up
CREATE TABLE department_assignment_minutes (
    workspace_id  uuid NOT NULL,
    department_id uuid NOT NULL,
    minute        timestamptz NOT NULL,
    n             integer NOT NULL,
    PRIMARY KEY (department_id, minute),
    FOREIGN KEY (workspace_id, department_id) REFERENCES departments (workspace_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE department_assignment_minutes;
