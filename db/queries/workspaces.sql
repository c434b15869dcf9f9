-- name: WorkspaceInsert :one
INSERT INTO workspaces (id, name, visitor_token_key)
VALUES ($1, $2, $3)
RETURNING *;

-- name: WorkspaceGet :one
SELECT * FROM workspaces WHERE id = $1;

-- name: WorkspaceFirst :one
SELECT * FROM workspaces ORDER BY created_at, id LIMIT 1;
