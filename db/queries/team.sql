-- name: TeamDepartments :many
-- Each department with its queue: how many wait for people (routed, not
-- bot) and since when the longest has waited.
SELECT d.id, d.name, d.dispatch_mode, d.max_concurrent,
       (SELECT count(*) FROM conversations c
        WHERE c.workspace_id = d.workspace_id AND c.department_id = d.id
          AND c.status = 'open' AND c.phase = 'queued')::integer AS waiting,
       (SELECT c.queued_at FROM conversations c
        WHERE c.workspace_id = d.workspace_id AND c.department_id = d.id
          AND c.status = 'open' AND c.phase = 'queued'
        ORDER BY c.queued_at LIMIT 1) AS oldest_queued_at
FROM departments d
WHERE d.workspace_id = sqlc.arg(workspace_id)
ORDER BY d.name, d.id;

-- name: TeamOperators :many
-- The active operators with their departments, what they hold (open
-- assigned, snoozed, offers on their way: the load dispatch counts) and
-- their own capacity (null: their departments').
SELECT o.id, o.name, o.role, o.status, o.max_concurrent,
       ARRAY(SELECT dm.department_id FROM department_members dm
             WHERE dm.workspace_id = o.workspace_id AND dm.operator_id = o.id
             ORDER BY dm.department_id)::uuid[] AS department_ids,
       (SELECT count(*) FROM conversations c
        WHERE c.workspace_id = o.workspace_id AND c.assignee_id = o.id
          AND c.status = 'open' AND c.phase = 'assigned')::integer AS open,
       (SELECT count(*) FROM conversations c
        WHERE c.workspace_id = o.workspace_id AND c.assignee_id = o.id AND c.status = 'snoozed')::integer AS snoozed,
       (SELECT count(*) FROM dispatch_offers f
        WHERE f.workspace_id = o.workspace_id AND f.operator_id = o.id)::integer AS offers
FROM operators o
WHERE o.workspace_id = sqlc.arg(workspace_id) AND o.active
ORDER BY o.name, o.id;

-- name: DepartmentLockForDistribute :one
-- A department about to be distributed, locked as dispatch locks it.
SELECT id FROM departments
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
FOR NO KEY UPDATE;

-- name: OperatorOpenAssigned :many
-- An operator's open assigned conversations in the departments given (in
-- every department when all_departments).
SELECT c.id FROM conversations c
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.assignee_id = sqlc.arg(operator_id)
  AND c.status = 'open' AND c.phase = 'assigned'
  AND (sqlc.arg(all_departments)::boolean OR c.department_id = ANY(sqlc.arg(department_ids)::uuid[]))
ORDER BY c.id;
