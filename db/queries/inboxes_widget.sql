-- The widget's frame finds its inbox by the inbox id alone: the id is the
-- public part of a site's snippet and unique across workspaces, and the
-- frame learns its workspace from it. Only what the frame needs leaves.

-- name: InboxGetForWidget :one
SELECT i.id, i.workspace_id, i.allowed_origins, w.name AS workspace_name
FROM inboxes i
JOIN workspaces w ON w.id = i.workspace_id
WHERE i.id = $1;
