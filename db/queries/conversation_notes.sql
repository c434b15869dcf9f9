-- name: NoteInsert :one
-- A private note in one statement: lock the conversation, take its next
-- seq, insert the note. Counters, preview and activity time stay as they
-- are (the note is not the customer's business). A repeated idempotency
-- key inserts nothing: no row.
WITH conv AS (
    SELECT c.id, c.workspace_id, c.last_seq
    FROM conversations c
    WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.id = sqlc.arg(conversation_id)
    FOR UPDATE OF c
), note AS (
    INSERT INTO conversation_notes (id, workspace_id, conversation_id, seq, author_id, body, mentions, idempotency_key, created_at)
    SELECT sqlc.arg(id), conv.workspace_id, conv.id, conv.last_seq + 1, sqlc.arg(author_id), sqlc.arg(body),
           sqlc.arg(mentions)::uuid[], sqlc.narg(idempotency_key), sqlc.arg(created_at)
    FROM conv
    ON CONFLICT (conversation_id, author_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
), bump AS (
    UPDATE conversations c
    SET last_seq = note.seq, updated_at = note.created_at
    FROM note
    WHERE c.workspace_id = note.workspace_id AND c.id = note.conversation_id
    RETURNING c.id
)
SELECT * FROM note;

-- name: NoteGetByIdempotencyKey :one
SELECT * FROM conversation_notes
WHERE workspace_id = $1 AND conversation_id = $2 AND author_id = $3 AND idempotency_key = $4;

-- name: NoteGetForUpdate :one
SELECT * FROM conversation_notes
WHERE workspace_id = $1 AND conversation_id = $2 AND id = $3
FOR UPDATE;

-- name: NoteUpdate :one
UPDATE conversation_notes
SET body = sqlc.arg(body), mentions = sqlc.arg(mentions)::uuid[], edited_at = sqlc.arg(edited_at)
WHERE workspace_id = sqlc.arg(workspace_id) AND conversation_id = sqlc.arg(conversation_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: NoteDelete :execrows
DELETE FROM conversation_notes
WHERE workspace_id = $1 AND conversation_id = $2 AND id = $3;

-- name: NoteListAfter :many
SELECT * FROM conversation_notes
WHERE workspace_id = $1 AND conversation_id = $2 AND seq > $3
ORDER BY seq
LIMIT $4;
