-- name: ContactGet :one
SELECT * FROM contacts WHERE workspace_id = $1 AND id = $2;

-- name: ContactGetForUpdate :one
SELECT * FROM contacts WHERE workspace_id = $1 AND id = $2 FOR UPDATE;

-- name: ContactUpsertByExternalID :one
-- A verified visitor's contact. Empty name or email keep what is stored.
INSERT INTO contacts (id, workspace_id, external_id, name, email)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (workspace_id, external_id) DO UPDATE
SET name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,
    email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE contacts.email END,
    updated_at = CASE WHEN (excluded.name <> '' AND excluded.name <> contacts.name)
                        OR (excluded.email <> '' AND excluded.email <> contacts.email)
                      THEN now() ELSE contacts.updated_at END
RETURNING *;

-- name: ContactUpdate :one
UPDATE contacts
SET name = $3, email = $4, cs_notes = $5, updated_at = now()
WHERE workspace_id = $1 AND id = $2
RETURNING *;

-- name: ContactConversationListForVisitor :many
-- The visitor's own conversations and, when its identity is verified, its
-- contact's conversations from other visitors (devices). An unverified
-- visitor's subquery is NULL and matches nothing. (The ContactConversation
-- queries read the conversations table; they live here because they are a
-- contact's history.)
SELECT c.* FROM conversations c
WHERE c.workspace_id = sqlc.arg(workspace_id)
  AND (c.visitor_id = sqlc.arg(visitor_id)
       OR c.contact_id = (SELECT v.contact_id FROM visitors v
                          WHERE v.workspace_id = sqlc.arg(workspace_id) AND v.id = sqlc.arg(visitor_id)
                            AND v.identity_verified))
ORDER BY c.created_at DESC, c.id DESC
LIMIT sqlc.arg(row_limit);

-- name: ContactConversationGetForVisitor :one
SELECT c.* FROM conversations c
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.id = sqlc.arg(id)
  AND (c.visitor_id = sqlc.arg(visitor_id)
       OR c.contact_id = (SELECT v.contact_id FROM visitors v
                          WHERE v.workspace_id = sqlc.arg(workspace_id) AND v.id = sqlc.arg(visitor_id)
                            AND v.identity_verified));


-- name: ContactSetAttribute :exec
UPDATE contacts SET attributes = attributes || jsonb_build_object(sqlc.arg(key)::text, sqlc.arg(value)::text)
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id);
