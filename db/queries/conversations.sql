-- name: ConversationInsert :one
INSERT INTO conversations (id, workspace_id, visitor_id, contact_id, subject, phase)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

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
  AND (sqlc.narg(cursor_at)::timestamptz IS NULL
       OR (last_activity_at, id) < (sqlc.narg(cursor_at)::timestamptz, sqlc.narg(cursor_id)::uuid))
ORDER BY last_activity_at DESC, id DESC
LIMIT sqlc.arg(row_limit);

-- name: ConversationBumpForMessage :one
-- Takes the next sequence number for a message. The row lock it holds until
-- commit orders concurrent sends to one conversation.
UPDATE conversations
SET last_seq = last_seq + 1,
    message_count = message_count + 1,
    last_message_at = sqlc.arg(at),
    last_message_preview = sqlc.arg(preview),
    last_activity_at = sqlc.arg(at),
    updated_at = sqlc.arg(at)
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING last_seq, visitor_id, status;

-- name: ConversationApplyLifecycle :one
-- Applies a workflow's change once: a retried activity carries the same
-- version and matches no row.
UPDATE conversations
SET status = sqlc.arg(status),
    phase = sqlc.arg(phase),
    assignee_id = sqlc.narg(assignee_id),
    department_id = sqlc.narg(department_id),
    priority = sqlc.arg(priority),
    snoozed_until = sqlc.narg(snoozed_until),
    snooze_until_reply = sqlc.arg(snooze_until_reply),
    resolution = sqlc.narg(resolution),
    resolution_notes = sqlc.narg(resolution_notes),
    resolved_at = sqlc.narg(resolved_at),
    lifecycle_version = sqlc.arg(version),
    workflow_message_seq = sqlc.arg(workflow_message_seq),
    last_seq = last_seq + 1,
    last_activity_at = sqlc.arg(at),
    updated_at = sqlc.arg(at)
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
  AND lifecycle_version < sqlc.arg(version)
RETURNING *;
