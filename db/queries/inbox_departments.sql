-- name: InboxDepartmentsClear :exec
DELETE FROM inbox_departments WHERE workspace_id = $1 AND inbox_id = $2;

-- name: InboxDepartmentsAdd :exec
INSERT INTO inbox_departments (workspace_id, inbox_id, department_id)
SELECT sqlc.arg(workspace_id), sqlc.arg(inbox_id), unnest(sqlc.arg(department_ids)::uuid[]);
