-- The unclaimed ladder, per department: a conversation that waits in its
-- queue unclaimed for notify_after seconds tells the department's
-- supervisors; after widen_after it moves to the fallback department;
-- after raise_after its priority rises a step. Each step is a conversation
-- event, timed by the conversation's workflow from when it entered the
-- queue. Null: no such step (widening needs both its time and a fallback,
-- which goes null if that department is deleted).

-- +goose Up
ALTER TABLE departments
    ADD COLUMN ladder_notify_after_seconds integer CHECK (ladder_notify_after_seconds BETWEEN 10 AND 604800),
    ADD COLUMN ladder_widen_after_seconds integer CHECK (ladder_widen_after_seconds BETWEEN 10 AND 604800),
    ADD COLUMN ladder_fallback_department_id uuid,
    ADD COLUMN ladder_raise_after_seconds integer CHECK (ladder_raise_after_seconds BETWEEN 10 AND 604800),
    ADD CONSTRAINT departments_ladder_fallback FOREIGN KEY (workspace_id, ladder_fallback_department_id)
        REFERENCES departments (workspace_id, id) ON DELETE SET NULL (ladder_fallback_department_id);

-- +goose Down
ALTER TABLE departments DROP CONSTRAINT departments_ladder_fallback,
    DROP COLUMN ladder_notify_after_seconds, DROP COLUMN ladder_widen_after_seconds,
    DROP COLUMN ladder_fallback_department_id, DROP COLUMN ladder_raise_after_seconds;
