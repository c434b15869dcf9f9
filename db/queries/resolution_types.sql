-- name: ResolutionTypes :many
-- A workspace's resolution types: those offered in their order, then the
-- archived ones by name.
SELECT * FROM resolution_types
WHERE workspace_id = $1
ORDER BY archived, CASE WHEN archived THEN 0 ELSE position END, name;

-- name: ResolutionTypesArchiveAll :exec
UPDATE resolution_types SET archived = true, position = 0 WHERE workspace_id = $1;

-- name: ResolutionTypeUpsert :exec
-- Offers a type again under its (new) name and place; a key seen for the
-- first time is added.
INSERT INTO resolution_types (workspace_id, key, name, position)
VALUES ($1, $2, $3, $4)
ON CONFLICT (workspace_id, key) DO UPDATE SET name = EXCLUDED.name, position = EXCLUDED.position, archived = false;

-- name: ResolutionTypeOffered :one
-- Whether key is one of the types a conversation may be resolved with.
SELECT EXISTS (SELECT 1 FROM resolution_types WHERE workspace_id = $1 AND key = $2 AND NOT archived);
