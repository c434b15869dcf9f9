-- name: RevocationInsert :one
INSERT INTO revocations (workspace_id, kind, subject_id)
VALUES ($1, $2, $3)
RETURNING *;

-- name: RevocationInsertMany :many
-- One revocation of this kind per subject.
INSERT INTO revocations (workspace_id, kind, subject_id)
SELECT sqlc.arg(workspace_id), sqlc.arg(kind), unnest(sqlc.arg(subject_ids)::uuid[])
RETURNING *;

-- name: RevocationListRecent :many
-- Across workspaces, for the API nodes' poll: the revocations after the
-- last one a node saw, and again those of the last window_seconds, so that
-- a transaction that took its id earlier but committed later is not
-- missed.
SELECT * FROM revocations
WHERE id > sqlc.arg(after_id)
   OR created_at > now() - make_interval(secs => sqlc.arg(window_seconds)::float8)
ORDER BY id;

-- name: RevocationLastID :one
-- Where a starting node's poll begins.
SELECT coalesce(max(id), 0)::bigint FROM revocations;

-- name: RevocationDeleteOld :execrows
-- Maintenance, across workspaces: up to sqlc.arg(batch) revocations older
-- than sqlc.arg(created_before), long after every node has read them.
DELETE FROM revocations
WHERE id IN (SELECT r.id FROM revocations r WHERE r.created_at < sqlc.arg(created_before) LIMIT sqlc.arg(batch));
