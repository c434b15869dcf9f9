-- name: ConversationEventInsert :one
INSERT INTO conversation_events (id, workspace_id, conversation_id, seq, version, type, actor_type, actor_id, reason, data, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
RETURNING *;

-- name: ConversationEventListAfter :many
SELECT * FROM conversation_events
WHERE workspace_id = $1 AND conversation_id = $2 AND seq > $3
ORDER BY seq
LIMIT $4;
