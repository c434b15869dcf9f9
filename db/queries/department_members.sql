-- name: DepartmentMemberList :many
SELECT sqlc.embed(o), dm.created_at AS added_at
FROM department_members dm
JOIN operators o ON o.workspace_id = dm.workspace_id AND o.id = dm.operator_id
WHERE dm.workspace_id = $1 AND dm.department_id = $2
ORDER BY o.name, o.id;

-- name: DepartmentMemberOperatorIDs :many
SELECT operator_id FROM department_members
WHERE workspace_id = $1 AND department_id = $2
ORDER BY operator_id;

-- name: DepartmentMemberInsert :execrows
-- Zero rows: already a member.
INSERT INTO department_members (workspace_id, department_id, operator_id)
VALUES ($1, $2, $3)
ON CONFLICT (department_id, operator_id) DO NOTHING;

-- name: DepartmentMemberDelete :execrows
DELETE FROM department_members
WHERE workspace_id = $1 AND department_id = $2 AND operator_id = $3;

-- name: DepartmentMemberExists :one
SELECT EXISTS (
    SELECT 1 FROM department_members
    WHERE workspace_id = $1 AND department_id = $2 AND operator_id = $3
);

-- name: OperatorDepartmentsAdd :exec
-- Adds memberships in the workspace's departments among the ids given;
-- departments deleted since (an invite's) are skipped.
INSERT INTO department_members (workspace_id, department_id, operator_id)
SELECT d.workspace_id, d.id, sqlc.arg(operator_id)
FROM departments d
WHERE d.workspace_id = sqlc.arg(workspace_id) AND d.id = ANY(sqlc.arg(department_ids)::uuid[])
ON CONFLICT DO NOTHING;

-- name: DepartmentMemberCountOnline :one
-- How many active operators of the department are online now: what a bot
-- flow's "is anyone there" asks.
SELECT count(*) FROM department_members m
JOIN operators o ON o.workspace_id = m.workspace_id AND o.id = m.operator_id
WHERE m.workspace_id = $1 AND m.department_id = $2 AND o.status = 'online' AND o.deactivated_at IS NULL;
