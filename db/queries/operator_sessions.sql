-- name: OperatorSessionInsert :exec
INSERT INTO operator_sessions (token_hash, workspace_id, operator_id, expires_at)
VALUES ($1, $2, $3, $4);

-- name: OperatorSessionGet :one
-- The operator behind a live session; a deactivated operator has none.
SELECT sqlc.embed(o), s.expires_at AS session_expires_at
FROM operator_sessions s
JOIN operators o ON o.workspace_id = s.workspace_id AND o.id = s.operator_id
WHERE s.token_hash = $1 AND s.expires_at > now() AND o.active;

-- name: OperatorSessionDelete :exec
DELETE FROM operator_sessions WHERE token_hash = $1;
