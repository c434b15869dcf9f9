-- The inbox's list without a status filter (an admin's "everything", a
-- search's starting point) is a keyset page by activity over the whole
-- workspace: without this index it sorts every conversation of the
-- workspace (184 ms at 1M, BenchmarkInboxList), with it it reads 26 rows.

-- +goose Up
CREATE INDEX conversations_recent ON conversations (workspace_id, last_activity_at DESC, id DESC);

-- +goose Down
DROP INDEX conversations_recent;
