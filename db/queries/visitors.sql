-- name: VisitorInsert :one
INSERT INTO visitors (id, workspace_id)
VALUES ($1, $2)
RETURNING *;

-- name: VisitorTouch :one
UPDATE visitors SET last_seen_at = now()
WHERE workspace_id = $1 AND id = $2
RETURNING *;
