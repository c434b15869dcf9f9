-- name: NotificationInsert :one
-- Once per cause: a retried transaction finds the item there and inserts
-- nothing (no row).
INSERT INTO notifications (id, workspace_id, operator_id, kind, dedupe_key, actor_id, conversation_id, contact_id, note_id, preview, created_at)
SELECT sqlc.arg(id), sqlc.arg(workspace_id), o.id, sqlc.arg(kind), sqlc.arg(dedupe_key), sqlc.narg(actor_id),
       sqlc.narg(conversation_id), sqlc.narg(contact_id), sqlc.narg(note_id), sqlc.arg(preview), sqlc.arg(created_at)
FROM operators o
WHERE o.workspace_id = sqlc.arg(workspace_id) AND o.id = sqlc.arg(operator_id) AND o.active
ON CONFLICT (operator_id, dedupe_key) DO NOTHING
RETURNING *;

-- name: NotificationList :many
-- An operator's items, newest first, keyset-paged on (created_at, id):
-- all (not archived), unread (of those), or archived.
SELECT * FROM notifications
WHERE workspace_id = sqlc.arg(workspace_id) AND operator_id = sqlc.arg(operator_id)
  AND CASE sqlc.arg(filter)::text
          WHEN 'archived' THEN archived_at IS NOT NULL
          WHEN 'unread' THEN archived_at IS NULL AND read_at IS NULL
          ELSE archived_at IS NULL
      END
  AND (sqlc.narg(cursor_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(cursor_at)::timestamptz, sqlc.narg(cursor_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(row_limit);

-- name: NotificationUnreadCount :one
SELECT count(*)::bigint FROM notifications
WHERE workspace_id = $1 AND operator_id = $2 AND read_at IS NULL AND archived_at IS NULL;

-- name: NotificationSetRead :one
UPDATE notifications
SET read_at = CASE WHEN sqlc.arg(read)::boolean THEN COALESCE(read_at, sqlc.arg(at)::timestamptz) END
WHERE workspace_id = sqlc.arg(workspace_id) AND operator_id = sqlc.arg(operator_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: NotificationSetArchived :one
-- Archiving also reads it: an archived item never counts as unread.
UPDATE notifications
SET archived_at = CASE WHEN sqlc.arg(archived)::boolean THEN COALESCE(archived_at, sqlc.arg(at)::timestamptz) END,
    read_at = CASE WHEN sqlc.arg(archived)::boolean THEN COALESCE(read_at, sqlc.arg(at)::timestamptz) ELSE read_at END
WHERE workspace_id = sqlc.arg(workspace_id) AND operator_id = sqlc.arg(operator_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: NotificationReadAll :execrows
UPDATE notifications
SET read_at = sqlc.arg(at)::timestamptz
WHERE workspace_id = sqlc.arg(workspace_id) AND operator_id = sqlc.arg(operator_id)
  AND read_at IS NULL AND archived_at IS NULL;
