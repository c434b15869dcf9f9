-- name: OutboxInsert :exec
INSERT INTO outbox (workspace_id, conversation_id, kind, payload)
VALUES ($1, $2, $3, $4);

-- name: OutboxListDue :many
-- Due rows in commit order, skipping any conversation whose earlier row is
-- backing off, so one conversation's signals are never reordered.
SELECT * FROM outbox o
WHERE o.next_attempt_at <= now()
  AND NOT EXISTS (
      SELECT 1 FROM outbox e
      WHERE e.conversation_id = o.conversation_id AND e.id < o.id AND e.next_attempt_at > now())
ORDER BY o.id
LIMIT $1;

-- name: OutboxDelete :exec
DELETE FROM outbox WHERE id = ANY(sqlc.arg(ids)::bigint[]);

-- name: OutboxRetryLater :exec
UPDATE outbox
SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3
WHERE id = $1;

-- name: OutboxStats :one
SELECT count(*)::bigint AS backlog,
       COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_age_seconds
FROM outbox;
