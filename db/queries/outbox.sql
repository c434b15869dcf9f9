-- name: OutboxInsert :exec
INSERT INTO outbox (workspace_id, conversation_id, kind, payload)
VALUES ($1, $2, $3, $4);

-- name: OutboxListDue :many
-- Due rows in commit order, skipping any conversation whose earlier row is
-- backing off, so one conversation's signals are not reordered by a retry.
-- Dead rows are neither due nor in the way.
SELECT * FROM outbox o
WHERE o.next_attempt_at <= now()
  AND o.dead_at IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM outbox e
      WHERE e.conversation_id = o.conversation_id AND e.id < o.id
        AND e.dead_at IS NULL AND e.next_attempt_at > now())
ORDER BY o.id
LIMIT $1;

-- The fenced statements below change rows only while the relay's epoch is
-- the lease's. FOR SHARE makes the check and the change one step against a
-- concurrent OutboxRelayLeaseTake: the new leader's increment waits for
-- them, and a statement that waited on the increment sees the new epoch
-- and changes nothing. fenced says whether the epoch was current.

-- name: OutboxDelete :one
WITH lease AS (
    SELECT epoch FROM outbox_relay_lease WHERE epoch = sqlc.arg(epoch) FOR SHARE
), gone AS (
    DELETE FROM outbox
    WHERE id = ANY(sqlc.arg(ids)::bigint[]) AND EXISTS (SELECT 1 FROM lease)
    RETURNING id
)
SELECT EXISTS (SELECT 1 FROM lease) AS fenced, (SELECT count(*) FROM gone)::bigint AS deleted;

-- name: OutboxRetryLater :one
-- count_attempt is false when the failure was Temporal being unavailable,
-- which says nothing about the row.
WITH lease AS (
    SELECT epoch FROM outbox_relay_lease WHERE epoch = sqlc.arg(epoch) FOR SHARE
), changed AS (
    UPDATE outbox
    SET attempts = attempts + CASE WHEN sqlc.arg(count_attempt)::boolean THEN 1 ELSE 0 END,
        last_error = sqlc.arg(last_error), next_attempt_at = sqlc.arg(next_attempt_at)
    WHERE id = sqlc.arg(id) AND dead_at IS NULL AND EXISTS (SELECT 1 FROM lease)
    RETURNING id
)
SELECT EXISTS (SELECT 1 FROM lease) AS fenced, EXISTS (SELECT 1 FROM changed) AS changed;

-- name: OutboxDeadLetter :one
WITH lease AS (
    SELECT epoch FROM outbox_relay_lease WHERE epoch = sqlc.arg(epoch) FOR SHARE
), changed AS (
    UPDATE outbox
    SET attempts = attempts + 1, last_error = sqlc.arg(last_error), dead_at = now()
    WHERE id = sqlc.arg(id) AND dead_at IS NULL AND EXISTS (SELECT 1 FROM lease)
    RETURNING id
)
SELECT EXISTS (SELECT 1 FROM lease) AS fenced, EXISTS (SELECT 1 FROM changed) AS changed;

-- name: OutboxStats :one
SELECT count(*) FILTER (WHERE dead_at IS NULL)::bigint AS backlog,
       count(*) FILTER (WHERE dead_at IS NOT NULL)::bigint AS dead,
       COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE dead_at IS NULL)), 0)::float8 AS oldest_age_seconds
FROM outbox;

-- name: OutboxDeadList :many
-- A workspace's dead rows, newest first, keyset-paged on id.
SELECT id, workspace_id, conversation_id, kind, attempts, last_error, dead_at, created_at
FROM outbox
WHERE workspace_id = sqlc.arg(workspace_id) AND dead_at IS NOT NULL
  AND (sqlc.narg(before_id)::bigint IS NULL OR id < sqlc.narg(before_id)::bigint)
ORDER BY id DESC
LIMIT sqlc.arg(row_limit);

-- name: OutboxDeadRetry :one
-- An admin sends a dead row back to the relay, with fresh attempts.
UPDATE outbox
SET dead_at = NULL, attempts = 0, last_error = '', next_attempt_at = now()
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id) AND dead_at IS NOT NULL
RETURNING id, workspace_id, conversation_id, kind, attempts, last_error, dead_at, created_at;
