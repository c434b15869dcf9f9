-- name: SLAPolicyList :many
SELECT * FROM sla_policies WHERE workspace_id = $1 ORDER BY position, id;

-- name: SLAPoliciesLock :one
-- Serialises edits of a workspace's list (and bumps its SLA version).
UPDATE workspaces SET sla_version = sla_version + 1 WHERE id = $1 RETURNING sla_version;

-- name: SLAPolicyDeleteExcept :exec
DELETE FROM sla_policies WHERE workspace_id = sqlc.arg(workspace_id) AND NOT (id = ANY(sqlc.arg(keep)::uuid[]));

-- name: SLAPolicyUpsert :one
-- A policy at its place; an edit that changes its name, switch or
-- document counts a version.
INSERT INTO sla_policies (id, workspace_id, position, name, enabled, document)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO UPDATE
SET position = excluded.position,
    name = excluded.name,
    enabled = excluded.enabled,
    document = excluded.document,
    version = sla_policies.version
              + CASE WHEN (sla_policies.name, sla_policies.enabled, sla_policies.document)
                          IS DISTINCT FROM (excluded.name, excluded.enabled, excluded.document) THEN 1 ELSE 0 END,
    updated_at = now()
WHERE sla_policies.workspace_id = excluded.workspace_id
RETURNING *;

-- name: WorkspaceHoursGet :one
SELECT business_hours FROM workspaces WHERE id = $1;

-- name: WorkspaceHoursSet :one
UPDATE workspaces SET business_hours = sqlc.narg(business_hours)::jsonb, sla_version = sla_version + 1
WHERE id = sqlc.arg(id)
RETURNING business_hours;
