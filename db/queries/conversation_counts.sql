-- name: ConversationCountList :many
-- A workspace's queue counts (kept by triggers on conversations); the
-- caller applies the viewer's visibility to each bucket.
SELECT department_id, assignee_id, status, n
FROM conversation_counts
WHERE workspace_id = $1 AND n > 0;
