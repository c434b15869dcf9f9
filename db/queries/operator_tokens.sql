-- name: OperatorTokenInsertInvite :one
-- Stores an invite only when every department it names belongs to the
-- workspace; no row back means some did not.
INSERT INTO operator_tokens (id, token_hash, workspace_id, kind, email, name, role, department_ids, created_by, expires_at)
SELECT sqlc.arg(id), sqlc.arg(token_hash), sqlc.arg(workspace_id), 'invite', sqlc.arg(email), sqlc.arg(name),
       sqlc.arg(role), sqlc.arg(department_ids)::uuid[], sqlc.arg(created_by), sqlc.arg(expires_at)
WHERE (SELECT count(*) FROM departments d
       WHERE d.workspace_id = sqlc.arg(workspace_id) AND d.id = ANY(sqlc.arg(department_ids)::uuid[]))
      = cardinality(sqlc.arg(department_ids)::uuid[])
RETURNING *;

-- name: OperatorTokenInsertPasswordReset :one
INSERT INTO operator_tokens (id, token_hash, workspace_id, kind, email, operator_id, created_by, expires_at)
VALUES (sqlc.arg(id), sqlc.arg(token_hash), sqlc.arg(workspace_id), 'password_reset', sqlc.arg(email),
        sqlc.arg(operator_id), sqlc.arg(created_by), sqlc.arg(expires_at))
RETURNING *;

-- name: OperatorTokenDeletePendingResets :exec
-- A new reset link replaces any earlier one still pending.
DELETE FROM operator_tokens
WHERE workspace_id = $1 AND operator_id = $2 AND kind = 'password_reset' AND used_at IS NULL;

-- name: OperatorTokenGetLive :one
-- A token that can still be used, by its hash and kind.
SELECT * FROM operator_tokens
WHERE token_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > now();

-- name: OperatorTokenUse :one
-- Marks a live token used. Concurrent callers serialise on the row lock
-- and the later one finds used_at set: exactly one gets the row.
UPDATE operator_tokens SET used_at = now()
WHERE token_hash = $1 AND kind = $2 AND used_at IS NULL AND expires_at > now()
RETURNING *;

-- name: OperatorTokenListPendingInvites :many
SELECT * FROM operator_tokens
WHERE workspace_id = $1 AND kind = 'invite' AND used_at IS NULL AND expires_at > now()
ORDER BY created_at DESC, id DESC;

-- name: OperatorTokenDeletePendingInvite :one
DELETE FROM operator_tokens
WHERE workspace_id = $1 AND id = $2 AND kind = 'invite' AND used_at IS NULL AND expires_at > now()
RETURNING id;

-- name: OperatorTokenDeleteDead :execrows
-- Maintenance, across workspaces: up to sqlc.arg(batch) invites and
-- password resets that were used or have expired.
DELETE FROM operator_tokens
WHERE token_hash IN (SELECT t.token_hash FROM operator_tokens t
                     WHERE t.used_at IS NOT NULL OR t.expires_at <= now() LIMIT sqlc.arg(batch));
