-- name: InboxInsert :one
INSERT INTO inboxes (id, workspace_id, name, allowed_origins, default_department_id, flow_id)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: InboxGet :one
SELECT sqlc.embed(i),
       ARRAY(SELECT d.department_id FROM inbox_departments d
             WHERE d.workspace_id = i.workspace_id AND d.inbox_id = i.id
             ORDER BY d.department_id)::uuid[] AS department_ids
FROM inboxes i
WHERE i.workspace_id = $1 AND i.id = $2;

-- name: InboxList :many
SELECT sqlc.embed(i),
       ARRAY(SELECT d.department_id FROM inbox_departments d
             WHERE d.workspace_id = i.workspace_id AND d.inbox_id = i.id
             ORDER BY d.department_id)::uuid[] AS department_ids
FROM inboxes i
WHERE i.workspace_id = $1
ORDER BY i.name, i.id;

-- name: InboxUpdate :one
UPDATE inboxes
SET name = sqlc.arg(name),
    allowed_origins = sqlc.arg(allowed_origins),
    default_department_id = sqlc.narg(default_department_id),
    flow_id = sqlc.narg(flow_id)
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: InboxDelete :execrows
-- Conversations and visitors of the inbox keep their history; their
-- inbox_id is cleared (set null).
DELETE FROM inboxes WHERE workspace_id = $1 AND id = $2;

-- name: InboxGetForWidget :one
-- The widget's frame finds its inbox by the inbox id alone: the id is the
-- public part of a site's snippet and unique across workspaces, and the
-- frame learns its workspace from it. Only what the frame needs leaves.
SELECT i.id, i.workspace_id, i.allowed_origins, w.name AS workspace_name
FROM inboxes i
JOIN workspaces w ON w.id = i.workspace_id
WHERE i.id = $1;
