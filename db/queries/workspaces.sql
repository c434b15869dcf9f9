-- name: WorkspaceInsert :one
INSERT INTO workspaces (id, name, visitor_token_key)
VALUES ($1, $2, $3)
RETURNING *;

-- name: WorkspaceGet :one
SELECT * FROM workspaces WHERE id = $1;

-- name: WorkspaceFirst :one
SELECT * FROM workspaces ORDER BY created_at, id LIMIT 1;

-- name: WorkspaceGetForUpdate :one
-- Settings changes read the old values under the row lock, so the audit
-- entry says what really changed when two admins edit at once.
SELECT * FROM workspaces WHERE id = $1 FOR UPDATE;

-- name: WorkspaceUpdateSettings :one
UPDATE workspaces SET name = $2, require_identity = $3, human_phrases = $4, flow_http_hosts = $5,
    away_after_seconds = $6, offline_after_seconds = $7
WHERE id = $1
RETURNING *;

-- name: WorkspaceRotateIdentitySecret :one
UPDATE workspaces SET identity_secret = $2
WHERE id = $1
RETURNING *;

-- name: WorkspaceLock :exec
-- Serialises the replacements of one of a workspace's lists (resolution
-- types, contact attributes): one at a time per workspace.
SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE;
