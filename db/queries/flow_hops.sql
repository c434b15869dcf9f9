-- name: FlowHopsAdd :exec
-- Counts one step's hops (a node may be left twice in one step).
INSERT INTO flow_hops (workspace_id, flow_id, version, node, edge, day, n)
SELECT sqlc.arg(workspace_id), sqlc.arg(flow_id), sqlc.arg(version), h.node, h.edge, sqlc.arg(day), count(*)
FROM (SELECT unnest(sqlc.arg(nodes)::text[]) AS node, unnest(sqlc.arg(edges)::text[]) AS edge) h
GROUP BY h.node, h.edge
ON CONFLICT (flow_id, version, node, edge, day) DO UPDATE SET n = flow_hops.n + EXCLUDED.n;

-- name: FlowHopsReport :many
-- A flow's hops over a date range, per version, node and edge.
SELECT version, node, edge, sum(n)::bigint AS n
FROM flow_hops
WHERE workspace_id = sqlc.arg(workspace_id) AND flow_id = sqlc.arg(flow_id)
  AND day BETWEEN sqlc.arg(from_day) AND sqlc.arg(to_day)
GROUP BY version, node, edge
ORDER BY version, node, edge;
