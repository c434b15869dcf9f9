-- name: OperatorInsert :one
INSERT INTO operators (id, workspace_id, email, name, password_hash, role)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: OperatorGet :one
SELECT * FROM operators WHERE workspace_id = $1 AND id = $2;

-- name: OperatorGetByEmail :one
-- The workspace's operator with this address: an address is unique per
-- workspace, not across them.
SELECT * FROM operators
WHERE workspace_id = sqlc.arg(workspace_id) AND lower(email) = lower(sqlc.arg(email));

-- name: OperatorListLoginCandidates :many
-- The active identities of an address, in every workspace or in the one
-- asked for, with the workspace's name; login checks the password against
-- each. Oldest first, so a flood of new workspaces claiming an address
-- cannot push its older identities past the limit.
SELECT sqlc.embed(o), w.name AS workspace_name
FROM operators o
JOIN workspaces w ON w.id = o.workspace_id
WHERE lower(o.email) = lower(sqlc.arg(email)) AND o.active
  AND (sqlc.narg(workspace_id)::uuid IS NULL OR o.workspace_id = sqlc.narg(workspace_id))
ORDER BY o.created_at, o.id
LIMIT sqlc.arg(max_rows);

-- name: OperatorList :many
-- The workspace's people with their departments; deactivated ones only
-- when asked for.
SELECT sqlc.embed(o),
       ARRAY(SELECT dm.department_id FROM department_members dm
             WHERE dm.workspace_id = o.workspace_id AND dm.operator_id = o.id
             ORDER BY dm.department_id)::uuid[] AS department_ids
FROM operators o
WHERE o.workspace_id = sqlc.arg(workspace_id) AND (o.active OR sqlc.arg(include_inactive)::bool)
ORDER BY o.name, o.id;

-- name: OperatorGetWithDepartments :one
SELECT sqlc.embed(o),
       ARRAY(SELECT dm.department_id FROM department_members dm
             WHERE dm.workspace_id = o.workspace_id AND dm.operator_id = o.id
             ORDER BY dm.department_id)::uuid[] AS department_ids
FROM operators o
WHERE o.workspace_id = $1 AND o.id = $2;

-- name: OperatorGetForUpdate :one
SELECT * FROM operators WHERE workspace_id = $1 AND id = $2 FOR UPDATE;

-- name: OperatorLockActiveOwners :many
-- Locks the active owners, so two changes that would each leave one owner
-- cannot both pass the last-owner check.
SELECT id FROM operators
WHERE workspace_id = $1 AND role = 'owner' AND active
ORDER BY id
FOR UPDATE;

-- name: OperatorUpdateRole :one
UPDATE operators SET role = $3 WHERE workspace_id = $1 AND id = $2 RETURNING *;

-- name: OperatorUpdateName :one
UPDATE operators SET name = $3 WHERE workspace_id = $1 AND id = $2 RETURNING *;

-- name: OperatorDeactivate :one
-- A deactivated operator is offline.
UPDATE operators
SET active = false, deactivated_at = now(),
    status = 'offline', status_changed_at = CASE WHEN status = 'offline' THEN status_changed_at ELSE now() END
WHERE workspace_id = $1 AND id = $2
RETURNING *;

-- name: OperatorReactivate :one
UPDATE operators SET active = true, deactivated_at = NULL
WHERE workspace_id = $1 AND id = $2
RETURNING *;

-- name: OperatorUpdatePassword :exec
UPDATE operators SET password_hash = $3 WHERE workspace_id = $1 AND id = $2;

-- name: OperatorUpdateStatus :one
-- status_changed_at moves only when the status does.
UPDATE operators
SET status = sqlc.arg(status),
    -- The operator chose it: presence no longer brings them back online.
    status_auto = false,
    status_changed_at = CASE WHEN status = sqlc.arg(status) THEN status_changed_at ELSE now() END
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id) AND active
-- changed: now() is the transaction's start, so only a row this statement
-- moved has status_changed_at equal to it.
RETURNING *, (status_changed_at = now())::boolean AS changed;

-- name: OperatorUpdateFlowDesigner :one
UPDATE operators SET flow_designer = $3
WHERE workspace_id = $1 AND id = $2
RETURNING *;

-- name: OperatorUpdateMaxConcurrent :exec
UPDATE operators SET max_concurrent = sqlc.narg(max_concurrent)
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id);
