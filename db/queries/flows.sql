-- name: FlowInsert :one
INSERT INTO flows (id, workspace_id, name, draft)
VALUES ($1, $2, $3, $4)
RETURNING *;

-- name: FlowGet :one
SELECT * FROM flows WHERE workspace_id = $1 AND id = $2;

-- name: FlowGetForUpdate :one
SELECT * FROM flows WHERE workspace_id = $1 AND id = $2 FOR UPDATE;

-- name: FlowList :many
SELECT * FROM flows WHERE workspace_id = $1 ORDER BY name, id;

-- name: FlowUpdateDraft :one
UPDATE flows SET name = sqlc.arg(name), draft = sqlc.arg(draft), updated_at = now()
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: FlowSetLive :one
UPDATE flows SET live_version = sqlc.narg(live_version), updated_at = now()
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: FlowCountRunning :one
-- Conversations the bot still has in one of the flow's versions.
SELECT count(*) FROM conversations
WHERE workspace_id = $1 AND flow_id = $2 AND status = 'open' AND phase = 'bot';

-- name: FlowDelete :execrows
DELETE FROM flows WHERE workspace_id = $1 AND id = $2;
