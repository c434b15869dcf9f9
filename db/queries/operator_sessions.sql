-- name: OperatorSessionInsert :exec
INSERT INTO operator_sessions (token_hash, workspace_id, operator_id, expires_at, csrf_token)
VALUES ($1, $2, $3, $4, $5);

-- name: OperatorSessionGet :one
-- The operator behind a live session, with their departments; a
-- deactivated operator has none.
SELECT sqlc.embed(o), s.expires_at AS session_expires_at, s.csrf_token,
       ARRAY(SELECT dm.department_id FROM department_members dm
             WHERE dm.workspace_id = o.workspace_id AND dm.operator_id = o.id
             ORDER BY dm.department_id)::uuid[] AS department_ids
FROM operator_sessions s
JOIN operators o ON o.workspace_id = s.workspace_id AND o.id = s.operator_id
WHERE s.token_hash = $1 AND s.expires_at > now() AND o.active;

-- name: OperatorSessionDelete :exec
DELETE FROM operator_sessions WHERE token_hash = $1;

-- name: OperatorSessionDeleteAllForOperator :exec
DELETE FROM operator_sessions WHERE workspace_id = $1 AND operator_id = $2;
