-- name: DepartmentAssignmentCount :exec
INSERT INTO department_assignment_minutes (workspace_id, department_id, minute, n)
VALUES (sqlc.arg(workspace_id), sqlc.arg(department_id), date_trunc('minute', sqlc.arg(at)::timestamptz), 1)
ON CONFLICT (department_id, minute) DO UPDATE SET n = department_assignment_minutes.n + 1;

-- name: DepartmentAssignedSince :one
SELECT COALESCE(sum(n), 0)::bigint FROM department_assignment_minutes
WHERE workspace_id = sqlc.arg(workspace_id) AND department_id = sqlc.arg(department_id) AND minute >= sqlc.arg(since);

-- name: QueueAhead :one
-- How many conversations of the department's queue come before this one
-- (a higher priority, or the same and waiting longer).
SELECT count(*)::bigint FROM conversations q
WHERE q.workspace_id = sqlc.arg(workspace_id) AND q.department_id = sqlc.arg(department_id)
  AND q.status = 'open' AND q.phase = 'queued' AND q.id <> sqlc.arg(id)
  AND (CASE q.priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END > sqlc.arg(rank)::integer
       OR (CASE q.priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END = sqlc.arg(rank)::integer
           AND (q.queued_at, q.id) < (sqlc.arg(queued_at)::timestamptz, sqlc.arg(id)::uuid)));

-- name: QueueHead :many
-- The first conversations of a department's queue, in order, with whom
-- to tell.
SELECT c.id, c.visitor_id, c.contact_id FROM conversations c
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.department_id = sqlc.arg(department_id)
  AND c.status = 'open' AND c.phase = 'queued'
ORDER BY CASE c.priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END DESC,
         c.queued_at, c.id
LIMIT sqlc.arg(row_limit);
