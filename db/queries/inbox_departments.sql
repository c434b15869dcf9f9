-- name: InboxDepartmentsClear :exec
DELETE FROM inbox_departments WHERE workspace_id = $1 AND inbox_id = $2;

-- name: InboxDepartmentsAdd :exec
INSERT INTO inbox_departments (workspace_id, inbox_id, department_id)
SELECT sqlc.arg(workspace_id), sqlc.arg(inbox_id), unnest(sqlc.arg(department_ids)::uuid[]);

-- name: InboxDepartmentIDs :many
SELECT department_id FROM inbox_departments
WHERE workspace_id = sqlc.arg(workspace_id) AND inbox_id = sqlc.arg(inbox_id);

-- name: VisitorInboxHasDepartment :one
-- Whether the department works the inbox the visitor came through.
SELECT EXISTS (SELECT 1 FROM visitors v
               JOIN inbox_departments d ON d.workspace_id = v.workspace_id AND d.inbox_id = v.inbox_id
               WHERE v.workspace_id = sqlc.arg(workspace_id) AND v.id = sqlc.arg(visitor_id)
                 AND d.department_id = sqlc.arg(department_id))::boolean AS ok;

-- name: InboxDepartmentChoices :many
-- The departments the widget offers its visitor to pick from: the inbox's
-- own, by name, when one of its routing rules routes by the visitor's
-- choice; none otherwise.
SELECT d.id, d.name
FROM inbox_departments i
JOIN departments d ON d.workspace_id = i.workspace_id AND d.id = i.department_id
WHERE i.workspace_id = sqlc.arg(workspace_id) AND i.inbox_id = sqlc.arg(inbox_id)
  AND EXISTS (SELECT 1 FROM routing_rules r
              WHERE r.workspace_id = i.workspace_id AND r.inbox_id = i.inbox_id AND r.kind = 'visitor_choice')
ORDER BY d.name, d.id;
