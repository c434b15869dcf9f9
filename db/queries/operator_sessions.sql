-- name: OperatorSessionInsert :exec
INSERT INTO operator_sessions (token_hash, workspace_id, operator_id, expires_at, csrf_token, id)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: OperatorSessionGet :one
-- The operator behind a live session, with their departments; a
-- deactivated operator has none.
SELECT sqlc.embed(o), s.id AS session_id, s.expires_at AS session_expires_at, s.csrf_token,
       ARRAY(SELECT dm.department_id FROM department_members dm
             WHERE dm.workspace_id = o.workspace_id AND dm.operator_id = o.id
             ORDER BY dm.department_id)::uuid[] AS department_ids
FROM operator_sessions s
JOIN operators o ON o.workspace_id = s.workspace_id AND o.id = s.operator_id
WHERE s.token_hash = $1 AND s.expires_at > now() AND o.active;

-- name: OperatorSessionDelete :many
-- At most one row: the session ended, for its revocation.
DELETE FROM operator_sessions WHERE token_hash = $1
RETURNING workspace_id, id;

-- name: OperatorSessionDeleteAllForOperator :many
DELETE FROM operator_sessions WHERE workspace_id = $1 AND operator_id = $2
RETURNING id;

-- name: OperatorSessionDeleteExpired :execrows
-- Maintenance, across workspaces: up to sqlc.arg(batch) expired sessions.
DELETE FROM operator_sessions
WHERE token_hash IN (SELECT s.token_hash FROM operator_sessions s
                     WHERE s.expires_at <= now() LIMIT sqlc.arg(batch));
