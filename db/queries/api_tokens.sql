-- name: APITokenInsert :one
INSERT INTO api_tokens (id, workspace_id, name, token_hash, prefix, role, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: APITokenAuthenticate :one
-- A live token and the operator it acts for, with their departments.
SELECT t.id AS token_id, t.role AS token_role, t.last_used_at, sqlc.embed(o),
       ARRAY(SELECT dm.department_id FROM department_members dm
             WHERE dm.workspace_id = o.workspace_id AND dm.operator_id = o.id
             ORDER BY dm.department_id)::uuid[] AS department_ids
FROM api_tokens t
JOIN operators o ON o.workspace_id = t.workspace_id AND o.id = t.created_by
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND o.active;

-- name: APITokenTouch :exec
UPDATE api_tokens SET last_used_at = now() WHERE workspace_id = $1 AND id = $2;

-- name: APITokenList :many
SELECT * FROM api_tokens WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC;

-- name: APITokenRevoke :one
UPDATE api_tokens SET revoked_at = now()
WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL
RETURNING *;

-- name: APITokenGet :one
SELECT * FROM api_tokens WHERE workspace_id = $1 AND id = $2;
