-- name: FlowOutcomeAdd :exec
INSERT INTO flow_outcomes (workspace_id, flow_id, version, day, department_id, outcome, n)
VALUES (sqlc.arg(workspace_id), sqlc.arg(flow_id), sqlc.arg(version), sqlc.arg(day),
        COALESCE(sqlc.narg(department_id)::uuid, '00000000-0000-0000-0000-000000000000'), sqlc.arg(outcome), 1)
ON CONFLICT (flow_id, version, day, department_id, outcome) DO UPDATE SET n = flow_outcomes.n + 1;

-- name: FlowOutcomeReport :many
-- A workspace's flow outcomes over a date range, per flow, version,
-- department and outcome.
SELECT flow_id, version, department_id, outcome, sum(n)::bigint AS n
FROM flow_outcomes
WHERE workspace_id = sqlc.arg(workspace_id) AND day BETWEEN sqlc.arg(from_day) AND sqlc.arg(to_day)
GROUP BY flow_id, version, department_id, outcome
ORDER BY flow_id, version, department_id, outcome;
