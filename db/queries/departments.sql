-- name: DepartmentInsert :one
INSERT INTO departments (id, workspace_id, name)
VALUES ($1, $2, $3)
RETURNING *;

-- name: DepartmentGet :one
SELECT * FROM departments WHERE workspace_id = $1 AND id = $2;

-- name: DepartmentGetForUpdate :one
SELECT * FROM departments WHERE workspace_id = $1 AND id = $2 FOR UPDATE;

-- name: DepartmentList :many
SELECT * FROM departments WHERE workspace_id = $1 ORDER BY name, id;

-- name: DepartmentUpdate :one
UPDATE departments SET name = sqlc.arg(name), business_hours = sqlc.narg(business_hours),
    dispatch_mode = sqlc.arg(dispatch_mode), max_concurrent = sqlc.arg(max_concurrent),
    offer_timeout_seconds = sqlc.arg(offer_timeout_seconds),
    ladder_notify_after_seconds = sqlc.narg(ladder_notify_after_seconds),
    ladder_widen_after_seconds = sqlc.narg(ladder_widen_after_seconds),
    ladder_fallback_department_id = sqlc.narg(ladder_fallback_department_id),
    ladder_raise_after_seconds = sqlc.narg(ladder_raise_after_seconds),
    reply_within_seconds = sqlc.narg(reply_within_seconds),
    away_policy = sqlc.arg(away_policy)
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: DepartmentLockForDelete :one
-- Locks the department and counts its conversations that are not resolved:
-- a department that still has work cannot be deleted. The lock keeps a
-- concurrent membership change from slipping in between.
SELECT d.name,
       (SELECT count(*) FROM conversations c
        WHERE c.workspace_id = d.workspace_id AND c.department_id = d.id AND c.status <> 'resolved')::bigint AS open_conversations
FROM departments d
WHERE d.workspace_id = $1 AND d.id = $2
FOR UPDATE;

-- name: DepartmentDelete :exec
-- Memberships and inbox links go with it (cascade); an inbox's default and
-- resolved conversations' department are cleared (set null).
DELETE FROM departments WHERE workspace_id = $1 AND id = $2;

-- name: DepartmentCountInWorkspace :one
-- How many of the given ids are departments of the workspace.
SELECT count(*) FROM departments
WHERE workspace_id = sqlc.arg(workspace_id) AND id = ANY(sqlc.arg(ids)::uuid[]);
