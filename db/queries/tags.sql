-- name: TagList :many
SELECT * FROM tags WHERE workspace_id = $1 ORDER BY lower(name), id;

-- name: TagGet :one
SELECT * FROM tags WHERE workspace_id = $1 AND id = $2;

-- name: TagInsert :one
INSERT INTO tags (id, workspace_id, name, color) VALUES ($1, $2, $3, $4) RETURNING *;

-- name: TagUpdate :one
UPDATE tags SET name = $3, color = $4 WHERE workspace_id = $1 AND id = $2 RETURNING *;

-- name: TagDelete :execrows
DELETE FROM tags WHERE workspace_id = $1 AND id = $2;

-- name: ConversationSetTag :one
-- Adds or removes one tag and takes the next seq for the event that
-- records it. No row when nothing would change (already tagged, or not
-- tagged), or when adding would pass max_tags. The WHERE is evaluated
-- again on the locked row, so two racing adds change it once.
UPDATE conversations c
SET tag_ids = CASE WHEN sqlc.arg(add)::boolean THEN array_append(c.tag_ids, sqlc.arg(tag_id)::uuid)
                   ELSE array_remove(c.tag_ids, sqlc.arg(tag_id)::uuid) END,
    last_seq = c.last_seq + 1,
    updated_at = sqlc.arg(at)
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.id = sqlc.arg(id)
  AND (c.tag_ids @> ARRAY[sqlc.arg(tag_id)::uuid]) <> sqlc.arg(add)::boolean
  AND (NOT sqlc.arg(add)::boolean OR cardinality(c.tag_ids) < sqlc.arg(max_tags)::integer)
RETURNING *;

-- name: ContactSetTag :one
-- A contact's tags: as ConversationSetTag, without an event.
UPDATE contacts c
SET tag_ids = CASE WHEN sqlc.arg(add)::boolean THEN array_append(c.tag_ids, sqlc.arg(tag_id)::uuid)
                   ELSE array_remove(c.tag_ids, sqlc.arg(tag_id)::uuid) END,
    updated_at = now()
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.id = sqlc.arg(id)
  AND (c.tag_ids @> ARRAY[sqlc.arg(tag_id)::uuid]) <> sqlc.arg(add)::boolean
  AND (NOT sqlc.arg(add)::boolean OR cardinality(c.tag_ids) < sqlc.arg(max_tags)::integer)
RETURNING *;

-- name: ConversationsRetag :execrows
-- Merging tag from into tag into (into NULL: deleting from): every
-- conversation carrying from carries into instead, once.
UPDATE conversations
SET tag_ids = CASE WHEN sqlc.narg(into_id)::uuid IS NULL OR tag_ids @> ARRAY[sqlc.narg(into_id)::uuid]
                   THEN array_remove(tag_ids, sqlc.arg(from_id)::uuid)
                   ELSE array_replace(tag_ids, sqlc.arg(from_id)::uuid, sqlc.narg(into_id)::uuid) END
WHERE workspace_id = sqlc.arg(workspace_id) AND tag_ids @> ARRAY[sqlc.arg(from_id)::uuid];

-- name: ContactsRetag :execrows
UPDATE contacts
SET tag_ids = CASE WHEN sqlc.narg(into_id)::uuid IS NULL OR tag_ids @> ARRAY[sqlc.narg(into_id)::uuid]
                   THEN array_remove(tag_ids, sqlc.arg(from_id)::uuid)
                   ELSE array_replace(tag_ids, sqlc.arg(from_id)::uuid, sqlc.narg(into_id)::uuid) END
WHERE workspace_id = sqlc.arg(workspace_id) AND tag_ids @> ARRAY[sqlc.arg(from_id)::uuid];
