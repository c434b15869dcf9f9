-- name: FlowVersionInsert :one
-- The next number of the flow (the flow's row lock, taken by the caller,
-- orders concurrent publishes).
INSERT INTO flow_versions (workspace_id, flow_id, version, document, copied_from, published_by)
SELECT sqlc.arg(workspace_id), sqlc.arg(flow_id),
       COALESCE((SELECT max(v.version) FROM flow_versions v
                 WHERE v.workspace_id = sqlc.arg(workspace_id) AND v.flow_id = sqlc.arg(flow_id)), 0) + 1,
       sqlc.arg(document), sqlc.narg(copied_from), sqlc.narg(published_by)
RETURNING *;

-- name: FlowVersionGet :one
SELECT * FROM flow_versions WHERE workspace_id = $1 AND flow_id = $2 AND version = $3;

-- name: FlowVersionList :many
SELECT workspace_id, flow_id, version, copied_from, published_by, published_at
FROM flow_versions WHERE workspace_id = $1 AND flow_id = $2
ORDER BY version DESC;
