-- "Reply within N or back to the queue", per department: an assigned
-- conversation whose customer waits longer than reply_within_seconds for
-- its operator's first reply goes back to the queue (and to someone else
-- who is online). Null: no limit.

-- +goose Up
ALTER TABLE departments
    ADD COLUMN reply_within_seconds integer CHECK (reply_within_seconds BETWEEN 30 AND 86400);

-- +goose Down
ALTER TABLE departments DROP COLUMN reply_within_seconds;
