-- name: FlowStepInsert :execrows
-- Claims a step of a conversation's bot: 0 rows when it was taken before
-- (a retried activity), and the step writes nothing again.
INSERT INTO flow_steps (workspace_id, conversation_id, step) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING;
