-- The times analytics reads per conversation: when it was first handed to
-- people (created without a bot, or the bot's handoff), first assigned,
-- and first answered by an operator. With resolved_at they give the wait
-- (handed off → assigned), the first response (handed off → first operator
-- reply) and the handle time (assigned → resolved). Each is written once,
-- by the statement that makes it true: the lifecycle change (workflow) or
-- the message insert (hot path, on the row it already updates).

-- +goose Up
ALTER TABLE conversations
    ADD COLUMN handed_off_at timestamptz,
    ADD COLUMN first_assigned_at timestamptz,
    ADD COLUMN first_response_at timestamptz;

-- What can be told of the conversations that exist.
UPDATE conversations c
SET handed_off_at = CASE WHEN c.flow_id IS NULL THEN c.created_at END,
    first_response_at = (SELECT min(m.created_at) FROM messages m
                         WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id AND m.sender_type = 'operator');

-- +goose Down
ALTER TABLE conversations DROP COLUMN handed_off_at, DROP COLUMN first_assigned_at, DROP COLUMN first_response_at;
