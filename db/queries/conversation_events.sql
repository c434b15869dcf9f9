-- name: ConversationEventInsert :one
INSERT INTO conversation_events (id, workspace_id, conversation_id, seq, version, type, actor_type, actor_id, reason, data, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING *;

-- name: ConversationEventListAfter :many
SELECT * FROM conversation_events
WHERE workspace_id = $1 AND conversation_id = $2 AND seq > $3
ORDER BY seq
LIMIT $4;

-- name: ConversationEventWakes :many
-- How often each of the given conversations woke because its snooze
-- expired, and when first: the event log's view of timers (bench reads it,
-- and it holds across a restart that drops sockets).
SELECT conversation_id, count(*)::bigint AS wakes, min(created_at)::timestamptz AS first_at
FROM conversation_events
WHERE workspace_id = sqlc.arg(workspace_id) AND conversation_id = ANY(sqlc.arg(conversation_ids)::uuid[])
  AND type = 'woken' AND reason = 'snooze_expired'
GROUP BY conversation_id;
