-- name: ConversationInsert :one
-- The conversation joins the visitor's inbox and is queued in that inbox's
-- default department, or in its only department when it has one; a
-- visitor bound to no inbox starts an unrouted conversation. A verified
-- visitor's conversation belongs to its contact. With an idempotency key,
-- the key is owned by the contact (verified) or the visitor, and a key its
-- owner already used inserts nothing (ConversationGetByIdempotencyKey then
-- finds the first). When the inbox has a published flow, the conversation
-- starts with the bot, in the flow's live version. No row: no such visitor
-- in the workspace, or a repeated key.
INSERT INTO conversations (id, workspace_id, visitor_id, contact_id, subject, phase, inbox_id, department_id,
                           idempotency_owner, idempotency_key, idempotency_fingerprint, flow_id, flow_version,
                           queued_at, handed_off_at, routed, chosen_department_id)
SELECT sqlc.arg(id), v.workspace_id, v.id, CASE WHEN v.identity_verified THEN v.contact_id END,
       sqlc.arg(subject), (CASE WHEN f.live_version IS NOT NULL THEN 'bot' ELSE sqlc.arg(phase)::text END) AS phase, v.inbox_id,
       COALESCE(i.default_department_id,
                (SELECT CASE WHEN count(*) = 1 THEN (array_agg(d.department_id))[1] END
                 FROM inbox_departments d
                 WHERE d.workspace_id = i.workspace_id AND d.inbox_id = i.id)),
       CASE WHEN sqlc.narg(idempotency_key)::text IS NOT NULL
            THEN COALESCE(CASE WHEN v.identity_verified THEN v.contact_id END, v.id) END,
       sqlc.narg(idempotency_key)::text,
       CASE WHEN sqlc.narg(idempotency_key)::text IS NOT NULL THEN sqlc.narg(idempotency_fingerprint)::bytea END,
       (CASE WHEN f.live_version IS NOT NULL THEN f.id END) AS flow_id, f.live_version,
       (CASE WHEN f.live_version IS NULL AND sqlc.arg(phase)::text = 'queued' THEN now() END) AS queued_at,
       (CASE WHEN f.live_version IS NULL THEN now() END) AS handed_off_at,
       -- An inbox with routing rules: its workflow routes the conversation.
       NOT EXISTS (SELECT 1 FROM routing_rules rr WHERE rr.workspace_id = i.workspace_id AND rr.inbox_id = i.id) AS routed,
       sqlc.narg(chosen_department_id)::uuid
FROM visitors v
LEFT JOIN inboxes i ON i.workspace_id = v.workspace_id AND i.id = v.inbox_id
LEFT JOIN flows f ON f.workspace_id = i.workspace_id AND f.id = i.flow_id
WHERE v.workspace_id = sqlc.arg(workspace_id) AND v.id = sqlc.arg(visitor_id)
ON CONFLICT (workspace_id, idempotency_owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING *;

-- name: ConversationGetByIdempotencyKey :one
-- The conversation a visitor's (or its contact's) key started. No row: no
-- such visitor, or no such key.
SELECT c.* FROM conversations c
JOIN visitors v ON v.workspace_id = c.workspace_id AND v.id = sqlc.arg(visitor_id)
WHERE c.workspace_id = sqlc.arg(workspace_id)
  AND c.idempotency_key = sqlc.arg(idempotency_key)::text
  AND c.idempotency_owner = COALESCE(CASE WHEN v.identity_verified THEN v.contact_id END, v.id);

-- name: ConversationGet :one
SELECT * FROM conversations WHERE workspace_id = $1 AND id = $2;

-- name: ConversationGetForVisitor :one
SELECT * FROM conversations WHERE workspace_id = $1 AND id = $2 AND visitor_id = $3;

-- name: ConversationListForVisitor :many
SELECT * FROM conversations
WHERE workspace_id = $1 AND visitor_id = $2
ORDER BY created_at DESC, id DESC
LIMIT $3;

-- name: ConversationList :many
-- Keyset page, newest activity first. Filters are optional; the cursor is
-- the (last_activity_at, id) of the previous page's last row.
SELECT * FROM conversations
WHERE workspace_id = sqlc.arg(workspace_id)
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(phase)::text IS NULL OR (status = 'open' AND phase = sqlc.narg(phase)))
  AND (sqlc.narg(department_id)::uuid IS NULL OR department_id = sqlc.narg(department_id))
  AND (sqlc.narg(assignee_id)::uuid IS NULL OR assignee_id = sqlc.narg(assignee_id))
  AND (sqlc.narg(unassigned)::boolean IS NULL OR (assignee_id IS NULL) = sqlc.narg(unassigned))
  AND (sqlc.narg(priority)::text IS NULL OR priority = sqlc.narg(priority))
  AND (sqlc.narg(tag_id)::uuid IS NULL OR tag_ids @> ARRAY[sqlc.narg(tag_id)::uuid])
  -- What the viewer may see (access.Viewer.CanSee): everything for admins,
  -- their own conversations, unrouted ones, and in their departments the
  -- queue (operators) or everything (supervisors). Pages hold only visible
  -- rows, so a page is never short for a reason the viewer cannot see.
  AND (sqlc.arg(sees_all)::boolean
       OR assignee_id = sqlc.arg(viewer_id)::uuid
       OR department_id IS NULL
       OR (department_id = ANY(sqlc.arg(viewer_departments)::uuid[])
           AND (sqlc.arg(viewer_supervises)::boolean OR assignee_id IS NULL)))
  AND (sqlc.narg(cursor_at)::timestamptz IS NULL
       OR (last_activity_at, id) < (sqlc.narg(cursor_at)::timestamptz, sqlc.narg(cursor_id)::uuid))
ORDER BY last_activity_at DESC, id DESC
LIMIT sqlc.arg(row_limit);

-- name: ConversationApplyLifecycle :one
-- Applies a workflow's change once: a retried activity carries the same
-- version and matches no row. It also returns the routing before the change
-- (locked, so no concurrent change slips in between), for the realtime
-- audience: who saw the conversation before must hear it left them.
-- A department deleted since the workflow chose it unroutes the
-- conversation rather than failing the change forever.
WITH prev AS (
    SELECT p.id, p.department_id, p.assignee_id, p.status, p.phase, p.routed FROM conversations p
    WHERE p.workspace_id = sqlc.arg(workspace_id) AND p.id = sqlc.arg(id)
    FOR UPDATE
)
UPDATE conversations c
SET status = sqlc.arg(status),
    phase = sqlc.arg(phase),
    assignee_id = sqlc.narg(assignee_id),
    department_id = (SELECT d.id FROM departments d
                     WHERE d.workspace_id = sqlc.arg(workspace_id) AND d.id = sqlc.narg(department_id)),
    priority = sqlc.arg(priority),
    snoozed_until = sqlc.narg(snoozed_until),
    snooze_until_reply = sqlc.arg(snooze_until_reply),
    resolution = sqlc.narg(resolution),
    resolution_notes = sqlc.narg(resolution_notes),
    resolved_at = sqlc.narg(resolved_at),
    lifecycle_version = sqlc.arg(version),
    routed = sqlc.arg(routed),
    workflow_message_seq = sqlc.arg(workflow_message_seq),
    -- This event's seq when it changes the status (the old row's values
    -- are read here): what a customer message is judged against.
    status_seq = CASE WHEN c.status <> sqlc.arg(status) THEN c.last_seq + 1 ELSE c.status_seq END,
    last_seq = c.last_seq + 1,
    -- Entering a queue (queued from elsewhere, woken, reopened, moved to
    -- another department's queue) starts the wait; staying keeps it.
    queued_at = CASE WHEN sqlc.arg(status) = 'open' AND sqlc.arg(phase) = 'queued' THEN
                    CASE WHEN c.status = 'open' AND c.phase = 'queued'
                              AND c.department_id IS NOT DISTINCT FROM sqlc.narg(department_id)
                         THEN COALESCE(c.queued_at, sqlc.arg(at)) ELSE sqlc.arg(at) END
                END,
    -- The first time people have it, and the first time someone does.
    handed_off_at = COALESCE(c.handed_off_at, CASE WHEN sqlc.arg(phase) <> 'bot' THEN sqlc.arg(at) END),
    first_assigned_at = COALESCE(c.first_assigned_at, CASE WHEN sqlc.narg(assignee_id)::uuid IS NOT NULL THEN sqlc.arg(at) END),
    last_activity_at = sqlc.arg(at),
    updated_at = sqlc.arg(at)
FROM prev
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.id = prev.id
  AND c.lifecycle_version < sqlc.arg(version)
RETURNING c.*, prev.department_id AS prev_department_id, prev.assignee_id AS prev_assignee_id,
          prev.status AS prev_status, prev.phase AS prev_phase, prev.routed AS prev_routed;

-- name: ConversationBotLock :one
-- What a bot step needs of its conversation, locked: steps of one
-- conversation and its lifecycle changes take turns.
SELECT c.id, c.workspace_id, c.visitor_id, c.contact_id, c.status, c.phase, c.department_id, c.inbox_id, c.flow_id,
       c.flow_version, c.bot_state, c.last_seq,
       COALESCE((SELECT m.body FROM messages m
                 WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id AND m.sender_type = 'visitor'
                 ORDER BY m.seq LIMIT 1), '')::text AS first_message
FROM conversations c
WHERE c.workspace_id = $1 AND c.id = $2
FOR UPDATE OF c;

-- name: ConversationBotSave :exec
UPDATE conversations SET bot_state = sqlc.arg(bot_state)
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id);

-- name: ConversationSetField :exec
UPDATE conversations SET fields = fields || jsonb_build_object(sqlc.arg(key)::text, sqlc.arg(value)::text)
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id);

-- name: ConversationBotState :one
SELECT bot_state FROM conversations WHERE workspace_id = $1 AND id = $2;

-- name: ConversationsOfContact :many
-- A contact's conversations, newest first (the Customer tab's history).
SELECT * FROM conversations
WHERE workspace_id = sqlc.arg(workspace_id) AND contact_id = sqlc.arg(contact_id)
ORDER BY created_at DESC
LIMIT sqlc.arg(row_limit);

-- name: ConversationsOfVisitor :many
-- An anonymous visitor's conversations, newest first.
SELECT * FROM conversations
WHERE workspace_id = sqlc.arg(workspace_id) AND visitor_id = sqlc.arg(visitor_id)
ORDER BY created_at DESC
LIMIT sqlc.arg(row_limit);
