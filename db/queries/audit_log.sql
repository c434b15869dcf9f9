-- name: AuditInsert :exec
INSERT INTO audit_log (id, workspace_id, actor_type, actor_id, action, target_type, target_id, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: AuditList :many
-- Newest first, keyset-paged on (created_at, id).
SELECT * FROM audit_log
WHERE workspace_id = sqlc.arg(workspace_id)
  AND (sqlc.narg(cursor_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(cursor_at)::timestamptz, sqlc.narg(cursor_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(row_limit);
