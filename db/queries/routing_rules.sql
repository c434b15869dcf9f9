-- name: RoutingRulesForInbox :many
SELECT * FROM routing_rules
WHERE workspace_id = sqlc.arg(workspace_id) AND inbox_id = sqlc.arg(inbox_id)
ORDER BY position;

-- name: RoutingRulesDelete :exec
DELETE FROM routing_rules WHERE workspace_id = sqlc.arg(workspace_id) AND inbox_id = sqlc.arg(inbox_id);

-- name: RoutingRuleInsert :exec
INSERT INTO routing_rules (id, workspace_id, inbox_id, position, name, kind, phrases, field, value, department_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10);

-- name: RoutingInput :one
-- What a conversation's routing is judged on: its inbox, the customer's
-- first message, its fields, the visitor's pick, and the bot's variables.
SELECT c.inbox_id, c.chosen_department_id, c.fields, c.bot_state,
       COALESCE((SELECT m.body FROM messages m
                 WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id AND m.sender_type = 'visitor'
                 ORDER BY m.seq LIMIT 1), '')::text AS first_message
FROM conversations c
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.id = sqlc.arg(id);

-- name: RoutingRulesOutsideInbox :many
-- The inbox's rules that route to a department no longer working it (an
-- inbox update that drops a department a rule sends to is refused).
SELECT rr.name FROM routing_rules rr
WHERE rr.workspace_id = sqlc.arg(workspace_id) AND rr.inbox_id = sqlc.arg(inbox_id) AND rr.department_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM inbox_departments d
                  WHERE d.workspace_id = rr.workspace_id AND d.inbox_id = rr.inbox_id AND d.department_id = rr.department_id)
ORDER BY rr.position;
