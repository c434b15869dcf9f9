-- name: PresenceNodeBeat :exec
INSERT INTO presence_nodes (node, seen_at) VALUES ($1, now())
ON CONFLICT (node) DO UPDATE SET seen_at = now();

-- name: PresenceNodesReap :many
-- Nodes silent for longer than the given seconds are dead: their sockets
-- are gone. Returns the operators they held who hold none elsewhere now.
WITH dead AS (
    DELETE FROM presence_nodes
    WHERE seen_at < now() - make_interval(secs => sqlc.arg(silent_seconds)::float8)
    RETURNING node
), lost AS (
    SELECT DISTINCT p.workspace_id, p.operator_id FROM operator_presence p
    WHERE p.node IN (SELECT node FROM dead)
)
SELECT l.workspace_id, l.operator_id FROM lost l
WHERE NOT EXISTS (SELECT 1 FROM operator_presence p
                  WHERE p.operator_id = l.operator_id AND p.node NOT IN (SELECT node FROM dead));

-- name: PresenceConnect :exec
INSERT INTO operator_presence (workspace_id, operator_id, node) VALUES ($1, $2, $3)
ON CONFLICT (operator_id, node) DO NOTHING;

-- name: PresenceDisconnect :one
-- The node's row goes; how many live nodes still hold a socket of the
-- operator.
WITH gone AS (
    DELETE FROM operator_presence
    WHERE workspace_id = sqlc.arg(workspace_id) AND operator_id = sqlc.arg(operator_id) AND node = sqlc.arg(node)
)
SELECT count(*)::bigint FROM operator_presence p
JOIN presence_nodes n ON n.node = p.node
WHERE p.workspace_id = sqlc.arg(workspace_id) AND p.operator_id = sqlc.arg(operator_id) AND p.node <> sqlc.arg(node)
  AND n.seen_at > now() - make_interval(secs => sqlc.arg(silent_seconds)::float8);

-- name: PresenceConnected :one
-- Whether a live node holds a socket of the operator.
SELECT EXISTS (SELECT 1 FROM operator_presence p JOIN presence_nodes n ON n.node = p.node
               WHERE p.workspace_id = sqlc.arg(workspace_id) AND p.operator_id = sqlc.arg(operator_id)
                 AND n.seen_at > now() - make_interval(secs => sqlc.arg(silent_seconds)::float8))::boolean AS connected;

-- name: OperatorStatusForUpdate :one
SELECT status, status_auto, active FROM operators
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
FOR NO KEY UPDATE;

-- name: OperatorSetAutoStatus :exec
-- Presence sets the status (and says so).
UPDATE operators
SET status = sqlc.arg(status), status_auto = sqlc.arg(status_auto),
    status_changed_at = CASE WHEN status = sqlc.arg(status) THEN status_changed_at ELSE now() END
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id);

-- name: WorkspacePresenceSettings :one
SELECT away_after_seconds, offline_after_seconds FROM workspaces WHERE id = $1;
