-- name: VisitorInsert :one
INSERT INTO visitors (id, workspace_id)
VALUES ($1, $2)
RETURNING *;

-- name: VisitorTouch :one
UPDATE visitors SET last_seen_at = now()
WHERE workspace_id = $1 AND id = $2
RETURNING *;

-- name: VisitorLinkContact :one
-- A verified identity: the visitor becomes one of the contact's devices.
UPDATE visitors
SET contact_id = $3, identity_verified = true,
    claimed_external_id = '', claimed_name = '', claimed_email = ''
WHERE workspace_id = $1 AND id = $2
RETURNING *;

-- name: VisitorSetClaimedIdentity :one
-- An unverified identity replaces any earlier one: the visitor is unlinked
-- from its contact (a shared browser where another person now logs in must
-- not keep reading the previous person's history).
UPDATE visitors
SET contact_id = NULL, identity_verified = false,
    claimed_external_id = $3, claimed_name = $4, claimed_email = $5
WHERE workspace_id = $1 AND id = $2
RETURNING *;

-- name: VisitorDeleteAbandoned :execrows
-- Maintenance, across workspaces: up to sqlc.arg(batch) anonymous visitors
-- (no contact) unseen since sqlc.arg(unseen_since) that never started a
-- conversation. Their tokens have expired (a token lives 30 days from the
-- visitor's last session).
DELETE FROM visitors
WHERE id IN (SELECT v.id FROM visitors v
             WHERE v.contact_id IS NULL AND v.last_seen_at < sqlc.arg(unseen_since)
               AND NOT EXISTS (SELECT 1 FROM conversations c
                               WHERE c.workspace_id = v.workspace_id AND c.visitor_id = v.id)
             LIMIT sqlc.arg(batch));
-- name: VisitorIdentityGet :one
-- What a visitor proved about itself and what its workspace requires, read
-- on every widget request (so a change of either counts at once).
SELECT w.require_identity, v.identity_verified, v.contact_id
FROM visitors v
JOIN workspaces w ON w.id = v.workspace_id
WHERE v.workspace_id = $1 AND v.id = $2;

-- name: VisitorBindInbox :exec
-- A visitor is bound to the inbox whose widget started its session.
UPDATE visitors SET inbox_id = $3 WHERE workspace_id = $1 AND id = $2;

-- name: VisitorInboxGet :one
SELECT inbox_id FROM visitors WHERE workspace_id = $1 AND id = $2;
