-- name: SLAFacts :one
-- What a conversation's SLA policy is chosen on, the calendars it may
-- count in, the workspace's SLA version, and whether an operator has
-- replied in it.
SELECT c.department_id, c.priority, c.inbox_id, c.tag_ids,
       COALESCE(ct.attributes, '{}'::jsonb)::jsonb AS contact_attributes,
       w.sla_version, w.business_hours AS workspace_hours, d.business_hours AS department_hours,
       EXISTS (SELECT 1 FROM messages m
               WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id AND m.sender_type = 'operator') AS replied
FROM conversations c
JOIN workspaces w ON w.id = c.workspace_id
LEFT JOIN departments d ON d.workspace_id = c.workspace_id AND d.id = c.department_id
LEFT JOIN contacts ct ON ct.workspace_id = c.workspace_id AND ct.id = c.contact_id
WHERE c.workspace_id = $1 AND c.id = $2;

-- name: SLAVersion :one
SELECT sla_version FROM workspaces WHERE id = $1;

-- name: SLACycles :many
-- The last cycle of each metric the conversation's earlier runs started.
SELECT metric, max(cycle)::integer AS cycle
FROM sla_clocks
WHERE workspace_id = $1 AND conversation_id = $2
GROUP BY metric;

-- name: ConversationGetForUpdate :one
SELECT * FROM conversations WHERE workspace_id = $1 AND id = $2 FOR UPDATE;

-- name: SLAEventInsert :one
-- An SLA event with the conversation's next seq; a key recorded before
-- inserts nothing (no row).
INSERT INTO conversation_events (id, workspace_id, conversation_id, seq, version, type, actor_type, reason, data, created_at, dedupe_key)
VALUES (sqlc.arg(id), sqlc.arg(workspace_id), sqlc.arg(conversation_id), sqlc.arg(seq), NULL, sqlc.arg(type), 'system',
        sqlc.arg(reason), sqlc.arg(data), sqlc.arg(created_at), sqlc.arg(dedupe_key))
ON CONFLICT (conversation_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
RETURNING *;

-- name: ConversationSetSLA :one
UPDATE conversations SET last_seq = sqlc.arg(last_seq), sla = sqlc.narg(sla)::jsonb
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: SLAClockGet :one
SELECT * FROM sla_clocks WHERE workspace_id = $1 AND conversation_id = $2 AND metric = $3 AND cycle = $4;

-- name: SLAClockUpsert :exec
-- A clock as it is now; its instants, once set, stay (a breach is
-- recorded at its deadline once), and a closed clock's time is final. A
-- clock cancelled because no policy applies any more (the nil policy)
-- keeps the policy it was measured under.
INSERT INTO sla_clocks (workspace_id, conversation_id, metric, cycle, policy_id, policy_name, department_id, assignee_id,
                        inbox_id, priority, business_hours, target_seconds, started_at, deadline, warned_at, breached_at,
                        met_at, cancelled, elapsed_seconds, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
ON CONFLICT (conversation_id, metric, cycle) DO UPDATE
SET policy_id = COALESCE(NULLIF(excluded.policy_id, '00000000-0000-0000-0000-000000000000'::uuid), sla_clocks.policy_id),
    policy_name = COALESCE(NULLIF(excluded.policy_name, ''), sla_clocks.policy_name),
    department_id = excluded.department_id,
    assignee_id = excluded.assignee_id,
    inbox_id = excluded.inbox_id,
    priority = excluded.priority,
    business_hours = excluded.business_hours,
    target_seconds = excluded.target_seconds,
    deadline = CASE WHEN sla_clocks.met_at IS NULL AND NOT sla_clocks.cancelled THEN excluded.deadline END,
    warned_at = COALESCE(sla_clocks.warned_at, excluded.warned_at),
    breached_at = COALESCE(sla_clocks.breached_at, excluded.breached_at),
    met_at = COALESCE(sla_clocks.met_at, excluded.met_at),
    cancelled = sla_clocks.cancelled OR excluded.cancelled,
    elapsed_seconds = CASE WHEN sla_clocks.met_at IS NULL AND NOT sla_clocks.cancelled
                           THEN excluded.elapsed_seconds ELSE sla_clocks.elapsed_seconds END,
    updated_at = excluded.updated_at
WHERE sla_clocks.workspace_id = excluded.workspace_id;

-- name: SLARollupAdd :exec
-- Adds a closed clock to its day's rollup (the histogram adds bucket by
-- bucket).
INSERT INTO sla_rollups AS r (workspace_id, dimension, value, day, metric, met, breached, seconds_sum, histogram)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (workspace_id, dimension, value, day, metric) DO UPDATE
SET met = r.met + excluded.met,
    breached = r.breached + excluded.breached,
    seconds_sum = r.seconds_sum + excluded.seconds_sum,
    histogram = ARRAY(SELECT r.histogram[i] + excluded.histogram[i]
                      FROM generate_subscripts(excluded.histogram, 1) AS i ORDER BY i);

-- name: SLASupervisors :many
-- The department's supervisors (owners, admins and supervisors among its
-- members); a department without any, or none given: the workspace's.
SELECT o.id FROM operators o
WHERE o.workspace_id = sqlc.arg(workspace_id) AND o.active AND o.role IN ('owner', 'admin', 'supervisor')
  AND (sqlc.narg(department_id)::uuid IS NULL
       OR EXISTS (SELECT 1 FROM department_members m
                  WHERE m.workspace_id = o.workspace_id AND m.department_id = sqlc.narg(department_id) AND m.operator_id = o.id)
       OR NOT EXISTS (SELECT 1 FROM department_members m
                      JOIN operators s ON s.workspace_id = m.workspace_id AND s.id = m.operator_id
                      WHERE m.workspace_id = o.workspace_id AND m.department_id = sqlc.narg(department_id)
                        AND s.active AND s.role IN ('owner', 'admin', 'supervisor')))
ORDER BY o.id;

-- name: SLARollupRange :many
-- The rollups of a report: one grain, days [from_day, to_day).
SELECT day, metric, met, breached, seconds_sum, histogram
FROM sla_rollups
WHERE workspace_id = sqlc.arg(workspace_id) AND dimension = sqlc.arg(dimension) AND value = sqlc.arg(value)
  AND day >= sqlc.arg(from_day) AND day < sqlc.arg(to_day);

-- name: SLAClosedClocks :many
-- The closed clocks a report filtered by several dimensions covers (the
-- rollups have one dimension a row), neither an operator nor a
-- department among them: the range's clocks.
SELECT (started_at AT TIME ZONE 'UTC')::date AS day, metric, (breached_at IS NOT NULL)::boolean AS breached, elapsed_seconds
FROM sla_clocks
WHERE workspace_id = sqlc.arg(workspace_id) AND started_at >= sqlc.arg(from_at) AND started_at < sqlc.arg(to_at)
  AND met_at IS NOT NULL AND NOT cancelled
  AND (sqlc.narg(policy_id)::uuid IS NULL OR policy_id = sqlc.narg(policy_id))
  AND (sqlc.narg(inbox_id)::uuid IS NULL OR inbox_id = sqlc.narg(inbox_id))
  AND (sqlc.narg(priority)::text IS NULL OR priority = sqlc.narg(priority));

-- name: SLAClosedClocksOfOperator :many
-- As SLAClosedClocks, for one operator (their index).
SELECT (started_at AT TIME ZONE 'UTC')::date AS day, metric, (breached_at IS NOT NULL)::boolean AS breached, elapsed_seconds
FROM sla_clocks
WHERE workspace_id = sqlc.arg(workspace_id) AND assignee_id = sqlc.arg(operator_id)
  AND started_at >= sqlc.arg(from_at) AND started_at < sqlc.arg(to_at)
  AND met_at IS NOT NULL AND NOT cancelled
  AND (sqlc.narg(policy_id)::uuid IS NULL OR policy_id = sqlc.narg(policy_id))
  AND (sqlc.narg(department_id)::uuid IS NULL OR department_id = sqlc.narg(department_id))
  AND (sqlc.narg(inbox_id)::uuid IS NULL OR inbox_id = sqlc.narg(inbox_id))
  AND (sqlc.narg(priority)::text IS NULL OR priority = sqlc.narg(priority));

-- name: SLAClosedClocksOfDepartment :many
-- As SLAClosedClocks, for one department (its index).
SELECT (started_at AT TIME ZONE 'UTC')::date AS day, metric, (breached_at IS NOT NULL)::boolean AS breached, elapsed_seconds
FROM sla_clocks
WHERE workspace_id = sqlc.arg(workspace_id) AND department_id = sqlc.arg(department_id)
  AND started_at >= sqlc.arg(from_at) AND started_at < sqlc.arg(to_at)
  AND met_at IS NOT NULL AND NOT cancelled
  AND (sqlc.narg(policy_id)::uuid IS NULL OR policy_id = sqlc.narg(policy_id))
  AND (sqlc.narg(inbox_id)::uuid IS NULL OR inbox_id = sqlc.narg(inbox_id))
  AND (sqlc.narg(priority)::text IS NULL OR priority = sqlc.narg(priority));

-- name: SLAOpenCounts :many
-- Clocks started in the range that still run: how many, and how many of
-- them have breached already.
SELECT metric, count(*)::bigint AS running, count(breached_at)::bigint AS breached
FROM sla_clocks
WHERE workspace_id = sqlc.arg(workspace_id) AND met_at IS NULL AND NOT cancelled
  AND started_at >= sqlc.arg(from_at) AND started_at < sqlc.arg(to_at)
  AND (sqlc.narg(policy_id)::uuid IS NULL OR policy_id = sqlc.narg(policy_id))
  AND (sqlc.narg(department_id)::uuid IS NULL OR department_id = sqlc.narg(department_id))
  AND (sqlc.narg(operator_id)::uuid IS NULL OR assignee_id = sqlc.narg(operator_id))
  AND (sqlc.narg(inbox_id)::uuid IS NULL OR inbox_id = sqlc.narg(inbox_id))
  AND (sqlc.narg(priority)::text IS NULL OR priority = sqlc.narg(priority))
GROUP BY metric;

-- name: SLABreachList :many
-- Clocks that breached in [from_at, to_at), latest first.
SELECT * FROM sla_clocks
WHERE workspace_id = sqlc.arg(workspace_id) AND breached_at >= sqlc.arg(from_at)::timestamptz AND breached_at < sqlc.arg(to_at)::timestamptz
  AND (sqlc.narg(policy_id)::uuid IS NULL OR policy_id = sqlc.narg(policy_id))
  AND (sqlc.narg(department_id)::uuid IS NULL OR department_id = sqlc.narg(department_id))
  AND (sqlc.narg(operator_id)::uuid IS NULL OR assignee_id = sqlc.narg(operator_id))
  AND (sqlc.narg(inbox_id)::uuid IS NULL OR inbox_id = sqlc.narg(inbox_id))
  AND (sqlc.narg(priority)::text IS NULL OR priority = sqlc.narg(priority))
ORDER BY breached_at DESC, conversation_id, metric, cycle
LIMIT sqlc.arg(row_limit);

-- name: ConversationEventsOf :many
-- The event history of some conversations (a report's breaches).
SELECT * FROM conversation_events
WHERE workspace_id = sqlc.arg(workspace_id) AND conversation_id = ANY(sqlc.arg(conversation_ids)::uuid[])
ORDER BY conversation_id, seq;

-- name: SLAWhatIfConversations :many
-- The most recent conversations started since a time, with what a
-- policy's conditions are judged on and the calendar it counts in.
SELECT c.id, c.priority, c.department_id, c.inbox_id, c.tag_ids, c.handed_off_at,
       COALESCE(ct.attributes, '{}'::jsonb)::jsonb AS contact_attributes, d.business_hours AS department_hours
FROM conversations c
LEFT JOIN departments d ON d.workspace_id = c.workspace_id AND d.id = c.department_id
LEFT JOIN contacts ct ON ct.workspace_id = c.workspace_id AND ct.id = c.contact_id
WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.last_activity_at >= sqlc.arg(since) AND c.created_at >= sqlc.arg(since)
ORDER BY c.last_activity_at DESC, c.id DESC
LIMIT sqlc.arg(row_limit);

-- name: SLAWhatIfEvents :many
-- What the clocks hear of some conversations' lifecycles.
SELECT conversation_id, type, created_at FROM conversation_events
WHERE workspace_id = sqlc.arg(workspace_id) AND conversation_id = ANY(sqlc.arg(conversation_ids)::uuid[])
  AND type IN ('snoozed', 'woken', 'resolved', 'reopened', 'handed_off', 'handed_back')
ORDER BY conversation_id, seq;

-- name: SLAWhatIfMessages :many
-- Who wrote when in some conversations (not what).
SELECT conversation_id, sender_type, created_at FROM messages
WHERE workspace_id = sqlc.arg(workspace_id) AND conversation_id = ANY(sqlc.arg(conversation_ids)::uuid[])
  AND sender_type IN ('visitor', 'operator')
ORDER BY conversation_id, seq;

-- name: SLAWhatIfActual :many
-- How some conversations' clocks actually ended, per metric.
SELECT metric, count(*) FILTER (WHERE met_at IS NOT NULL AND breached_at IS NULL)::bigint AS met,
       count(breached_at)::bigint AS breached,
       count(*) FILTER (WHERE met_at IS NULL AND breached_at IS NULL)::bigint AS running
FROM sla_clocks
WHERE workspace_id = sqlc.arg(workspace_id) AND conversation_id = ANY(sqlc.arg(conversation_ids)::uuid[]) AND NOT cancelled
GROUP BY metric;
