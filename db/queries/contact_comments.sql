-- name: ContactCommentInsert :one
INSERT INTO contact_comments (id, workspace_id, contact_id, author_id, body, mentions, created_at)
SELECT sqlc.arg(id), c.workspace_id, c.id, sqlc.arg(author_id), sqlc.arg(body), sqlc.arg(mentions)::uuid[], sqlc.arg(created_at)
FROM contacts c
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.id = sqlc.arg(contact_id)
RETURNING *;

-- name: ContactCommentList :many
-- A contact's comments, oldest first.
SELECT * FROM contact_comments
WHERE workspace_id = $1 AND contact_id = $2
ORDER BY created_at, id
LIMIT $3;

-- name: ContactCommentGetForUpdate :one
SELECT * FROM contact_comments
WHERE workspace_id = $1 AND contact_id = $2 AND id = $3
FOR UPDATE;

-- name: ContactCommentUpdate :one
UPDATE contact_comments
SET body = sqlc.arg(body), mentions = sqlc.arg(mentions)::uuid[], edited_at = sqlc.arg(edited_at)
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: ContactCommentDelete :execrows
DELETE FROM contact_comments WHERE workspace_id = $1 AND id = $2;

-- name: ContactCommentsMove :execrows
-- A merge: the comments of contact from go to contact into.
UPDATE contact_comments SET contact_id = sqlc.arg(into_id)
WHERE workspace_id = sqlc.arg(workspace_id) AND contact_id = sqlc.arg(from_id);
