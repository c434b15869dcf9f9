-- name: MessageInsert :one
INSERT INTO messages (id, workspace_id, conversation_id, seq, sender_type, sender_id, body, idempotency_key, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (conversation_id, sender_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING *;

-- name: MessageGetByIdempotencyKey :one
SELECT * FROM messages
WHERE workspace_id = $1 AND conversation_id = $2 AND sender_id = $3 AND idempotency_key = $4;

-- name: MessageListAfter :many
SELECT * FROM messages
WHERE workspace_id = $1 AND conversation_id = $2 AND seq > $3
ORDER BY seq
LIMIT $4;
