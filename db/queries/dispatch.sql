-- name: DispatchLockDepartments :many
-- The departments to dispatch, locked in id order: dispatch in a department
-- takes turns (the department's row is its entity), and two dispatches
-- that share departments lock them in one order. NO KEY UPDATE: rows that
-- point at the department (a conversation queued there, an offer) hold a
-- KEY SHARE lock on it until they commit, which must not block this.
-- Manual departments dispatch nothing and are not locked: their
-- conversations' starts and changes never wait on one another here (a
-- mode change holds the row; a dispatch that waited on it reads the new
-- mode).
SELECT id, dispatch_mode, max_concurrent, offer_timeout_seconds FROM departments
WHERE workspace_id = sqlc.arg(workspace_id) AND id = ANY(sqlc.arg(department_ids)::uuid[])
  AND dispatch_mode <> 'manual'
ORDER BY id
FOR NO KEY UPDATE;

-- name: DispatchLockOperators :many
-- The online operators of the departments, locked in id order: their
-- loads are read after this, so two dispatches in departments that share
-- an operator never both fill the same free place. NO KEY UPDATE leaves
-- foreign keys that point at the operator (an assignment) unblocked.
SELECT o.id FROM operators o
WHERE o.workspace_id = sqlc.arg(workspace_id) AND o.status = 'online' AND o.active
  AND EXISTS (SELECT 1 FROM department_members dm
              WHERE dm.workspace_id = o.workspace_id AND dm.operator_id = o.id
                AND dm.department_id = ANY(sqlc.arg(department_ids)::uuid[]))
ORDER BY o.id
FOR NO KEY UPDATE OF o;

-- name: DispatchRoster :many
-- A department's online operators with their capacity, load (open assigned
-- conversations and decisions on their way, in every department) and turn.
SELECT o.id,
       COALESCE(o.max_concurrent, d.max_concurrent)::integer AS capacity,
       ((SELECT count(*) FROM conversations c
         WHERE c.workspace_id = o.workspace_id AND c.assignee_id = o.id
           AND c.status = 'open' AND c.phase = 'assigned')
        + (SELECT count(*) FROM dispatch_offers f
           WHERE f.workspace_id = o.workspace_id AND f.operator_id = o.id))::integer AS load,
       dm.last_dispatched_at
FROM department_members dm
JOIN operators o ON o.workspace_id = dm.workspace_id AND o.id = dm.operator_id
JOIN departments d ON d.workspace_id = dm.workspace_id AND d.id = dm.department_id
WHERE dm.workspace_id = sqlc.arg(workspace_id) AND dm.department_id = sqlc.arg(department_id)
  AND o.status = 'online' AND o.active;

-- name: DispatchQueue :many
-- A department's waiting conversations that no decision is on its way
-- for, the most pressing first.
SELECT c.id, c.priority, c.queued_at,
       ARRAY(SELECT d.operator_id FROM dispatch_declines d
             WHERE d.workspace_id = c.workspace_id AND d.conversation_id = c.id)::uuid[] AS declined
FROM conversations c
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.department_id = sqlc.arg(department_id)
  AND c.status = 'open' AND c.phase = 'queued' AND c.routed
  AND NOT EXISTS (SELECT 1 FROM dispatch_offers f
                  WHERE f.workspace_id = c.workspace_id AND f.conversation_id = c.id)
ORDER BY CASE c.priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END DESC,
         c.queued_at, c.id
LIMIT sqlc.arg(row_limit);

-- name: DispatchOfferInsert :exec
INSERT INTO dispatch_offers (id, workspace_id, conversation_id, department_id, operator_id, mode, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: DispatchTurnTaken :exec
UPDATE department_members SET last_dispatched_at = sqlc.arg(at)
WHERE workspace_id = sqlc.arg(workspace_id) AND department_id = sqlc.arg(department_id)
  AND operator_id = sqlc.arg(operator_id);

-- name: DispatchOfferDeleteForConversation :one
-- The decision on its way for a conversation that left its queue, if any:
-- gone, and the operator it named has room again.
DELETE FROM dispatch_offers
WHERE workspace_id = sqlc.arg(workspace_id) AND conversation_id = sqlc.arg(conversation_id)
RETURNING id, operator_id;

-- name: DispatchOfferRelease :one
-- A decision the workflow turned down (the conversation had moved on).
DELETE FROM dispatch_offers
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING department_id, operator_id;

-- name: OperatorDepartmentIDs :many
-- The departments an operator belongs to, in id order.
SELECT department_id FROM department_members
WHERE workspace_id = sqlc.arg(workspace_id) AND operator_id = sqlc.arg(operator_id)
ORDER BY department_id;

-- name: DispatchOfferTake :one
-- An assignment takes its offer: the decision is spent.
DELETE FROM dispatch_offers
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING operator_id;

-- name: DispatchOfferForConversation :one
SELECT * FROM dispatch_offers
WHERE workspace_id = sqlc.arg(workspace_id) AND conversation_id = sqlc.arg(conversation_id);

-- name: DispatchOffersTakeBack :many
-- An operator who is no longer online gets nothing more: the decisions on
-- their way to them are taken back.
DELETE FROM dispatch_offers
WHERE workspace_id = sqlc.arg(workspace_id) AND operator_id = sqlc.arg(operator_id)
RETURNING department_id;

-- name: OperatorOnline :one
SELECT EXISTS (SELECT 1 FROM operators
               WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
                 AND status = 'online' AND active)::boolean AS online;

-- name: DispatchDeclineInsert :exec
-- An operator passed on an offered conversation (declined, or let the
-- offer expire): the next offers of this wait skip them.
INSERT INTO dispatch_declines (workspace_id, conversation_id, operator_id, reason)
VALUES ($1, $2, $3, $4)
ON CONFLICT (conversation_id, operator_id) DO UPDATE SET reason = EXCLUDED.reason, created_at = now();

-- name: DispatchDeclinesClear :exec
-- The conversation's wait is over: a later wait offers it to everyone.
DELETE FROM dispatch_declines WHERE workspace_id = $1 AND conversation_id = $2;

-- name: AwayReleases :many
-- An operator who went away: their open assigned conversations in the
-- departments whose policy returns them to the queue.
SELECT c.id FROM conversations c
JOIN departments d ON d.workspace_id = c.workspace_id AND d.id = c.department_id
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.assignee_id = sqlc.arg(operator_id)
  AND c.status = 'open' AND c.phase = 'assigned' AND d.away_policy = 'requeue';
