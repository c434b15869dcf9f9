-- name: ContactGet :one
SELECT * FROM contacts WHERE workspace_id = $1 AND id = $2;

-- name: ContactGetForUpdate :one
SELECT * FROM contacts WHERE workspace_id = $1 AND id = $2 FOR UPDATE;

-- name: ContactUpsertByExternalID :one
-- A verified visitor's contact. Empty name or email keep what is stored.
INSERT INTO contacts (id, workspace_id, external_id, name, email, last_seen_at)
VALUES ($1, $2, $3, $4, $5, now())
ON CONFLICT (workspace_id, external_id) DO UPDATE
SET last_seen_at = now(),
    name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,
    email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE contacts.email END,
    updated_at = CASE WHEN (excluded.name <> '' AND excluded.name <> contacts.name)
                        OR (excluded.email <> '' AND excluded.email <> contacts.email)
                      THEN now() ELSE contacts.updated_at END
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

-- name: ContactInsert :one
INSERT INTO contacts (id, workspace_id, external_id, name, email, phone, avatar_url, attributes, last_seen_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: ContactList :many
-- A page of contacts, newest first, keyset-paged on (created_at, id),
-- with a tag and attribute values (a JSON object the row's attributes
-- contain) as optional filters.
SELECT * FROM contacts
WHERE workspace_id = sqlc.arg(workspace_id)
  AND (sqlc.narg(tag_id)::uuid IS NULL OR tag_ids @> ARRAY[sqlc.narg(tag_id)::uuid])
  AND (sqlc.narg(attributes)::jsonb IS NULL OR attributes @> sqlc.narg(attributes)::jsonb)
  AND (sqlc.narg(cursor_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(cursor_at)::timestamptz, sqlc.narg(cursor_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(row_limit);

-- name: ContactSearch :many
-- ContactList for a substring of the name, email, phone or external id:
-- pattern is '%<lowercased text, LIKE's wildcards escaped>%', which the
-- trigram index over search serves. Its own statement, so its plan is
-- always the index's.
SELECT * FROM contacts
WHERE workspace_id = sqlc.arg(workspace_id)
  AND search LIKE sqlc.arg(pattern)::text
  AND (sqlc.narg(tag_id)::uuid IS NULL OR tag_ids @> ARRAY[sqlc.narg(tag_id)::uuid])
  AND (sqlc.narg(attributes)::jsonb IS NULL OR attributes @> sqlc.narg(attributes)::jsonb)
  AND (sqlc.narg(cursor_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(cursor_at)::timestamptz, sqlc.narg(cursor_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT sqlc.arg(row_limit);

-- name: ContactEdit :one
-- An operator's edit of a contact's profile and attributes (the whole
-- new attributes object).
UPDATE contacts
SET name = sqlc.arg(name), email = sqlc.arg(email), phone = sqlc.arg(phone), avatar_url = sqlc.arg(avatar_url),
    cs_notes = sqlc.arg(cs_notes), attributes = sqlc.arg(attributes)::jsonb, updated_at = now()
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: ContactAttributeDefList :many
SELECT * FROM contact_attribute_defs WHERE workspace_id = $1 ORDER BY position, key;

-- name: ContactAttributeDefUpsert :one
INSERT INTO contact_attribute_defs (workspace_id, key, name, type, position)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (workspace_id, key) DO UPDATE SET name = excluded.name, type = excluded.type, position = excluded.position
RETURNING *;

-- name: ContactAttributeDefDelete :execrows
DELETE FROM contact_attribute_defs WHERE workspace_id = $1 AND key = $2;

-- name: ContactMergeMove :one
-- Merging contact from into contact into: their visitors, conversations
-- and notification items move; the moved visitors' ids are returned (their
-- sockets join into's audience).
WITH v AS (
    UPDATE visitors vi SET contact_id = sqlc.arg(into_id)
    WHERE vi.workspace_id = sqlc.arg(workspace_id) AND vi.contact_id = sqlc.arg(from_id)
    RETURNING id
), c AS (
    UPDATE conversations co SET contact_id = sqlc.arg(into_id)
    WHERE co.workspace_id = sqlc.arg(workspace_id) AND co.contact_id = sqlc.arg(from_id)
    RETURNING id
), n AS (
    UPDATE notifications nt SET contact_id = sqlc.arg(into_id)
    WHERE nt.workspace_id = sqlc.arg(workspace_id) AND nt.contact_id = sqlc.arg(from_id)
    RETURNING id
)
SELECT COALESCE((SELECT array_agg(id) FROM v), '{}')::uuid[] AS visitor_ids,
       (SELECT count(*) FROM c)::bigint AS conversations;

-- name: ContactDelete :execrows
DELETE FROM contacts WHERE workspace_id = $1 AND id = $2;

-- name: ContactEraseConversations :many
-- Erasing a contact (a privacy request): the words of their conversations
-- go (messages' bodies, previews, subjects, what a bot gathered, notes,
-- the notes and fields events carry); the conversations stay, anonymous,
-- with their counts and times. Returns the conversations' ids.
WITH convs AS (
    UPDATE conversations co
    SET contact_id = NULL, subject = '', last_message_preview = '', fields = '{}', updated_at = now(),
        bot_state = CASE WHEN bot_state IS NULL THEN NULL
                         ELSE jsonb_set(bot_state #- '{flow,pending}', '{flow,variables}', '{}') END
    WHERE co.workspace_id = sqlc.arg(workspace_id) AND co.contact_id = sqlc.arg(contact_id)
    RETURNING co.id
), msgs AS (
    UPDATE messages m SET body = '', quick_replies = '{}'
    WHERE m.workspace_id = sqlc.arg(workspace_id) AND m.conversation_id IN (SELECT id FROM convs)
    RETURNING m.id
), notes AS (
    DELETE FROM conversation_notes cn
    WHERE cn.workspace_id = sqlc.arg(workspace_id) AND cn.conversation_id IN (SELECT id FROM convs)
    RETURNING cn.id
), events AS (
    UPDATE conversation_events ce SET data = ce.data - 'fields' - 'note' - 'path'
    WHERE ce.workspace_id = sqlc.arg(workspace_id) AND ce.conversation_id IN (SELECT id FROM convs)
    RETURNING ce.id
), items AS (
    UPDATE notifications nt SET preview = ''
    WHERE nt.workspace_id = sqlc.arg(workspace_id) AND nt.conversation_id IN (SELECT id FROM convs)
    RETURNING nt.id
)
SELECT id FROM convs;

-- name: ContactEraseVisitors :execrows
-- The contact's devices forget who they were.
UPDATE visitors
SET contact_id = NULL, identity_verified = false, claimed_external_id = '', claimed_name = '', claimed_email = ''
WHERE workspace_id = sqlc.arg(workspace_id) AND contact_id = sqlc.arg(contact_id);

-- name: ContactSetExternalID :exec
UPDATE contacts SET external_id = $3 WHERE workspace_id = $1 AND id = $2;

-- name: ContactSetTagIDs :exec
UPDATE contacts SET tag_ids = sqlc.arg(tag_ids)::uuid[] WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id);
