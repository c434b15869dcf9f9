-- name: MessageSend :one
-- The hot path in one statement, so one round trip: lock the conversation
-- (which orders concurrent sends to it), take its next seq, insert the
-- message, bump the counters, and decide, from the locked row, whether the
-- conversation's workflow must hear of the message (docs/SIGNALS.md): if
-- so, an outbox row carries it there, and the reasons are stored with the
-- message. A repeated idempotency key inserts nothing and so changes
-- nothing: the row then has a conversation but no message. No row: no such
-- conversation (for this visitor, when one is given: its own, or its
-- contact's when the visitor is verified, as
-- ContactConversationGetForVisitor reads them). A keyword rule the hot path
-- matched (keyword_rule_id, its priority and department) counts for a
-- customer's message only.
WITH conv AS (
    SELECT c.id, c.workspace_id, c.last_seq, c.visitor_id, c.contact_id, c.department_id, c.assignee_id,
           c.status, c.phase, c.last_speaker
    FROM conversations c
    WHERE c.workspace_id = sqlc.arg(workspace_id) AND c.id = sqlc.arg(conversation_id)
      AND (sqlc.narg(visitor_id)::uuid IS NULL
           OR c.visitor_id = sqlc.narg(visitor_id)
           OR c.contact_id = (SELECT v.contact_id FROM visitors v
                              WHERE v.workspace_id = sqlc.arg(workspace_id) AND v.id = sqlc.narg(visitor_id)
                                AND v.identity_verified))
    FOR UPDATE OF c
), side AS (
    SELECT CASE sqlc.arg(sender_type)::text
               WHEN 'visitor' THEN 'customer'
               WHEN 'operator' THEN 'agent'
               WHEN 'bot' THEN 'agent'
           END AS speaker
), decision AS (
    -- The rule: a change of turn (not by the bot: its workflow wrote the
    -- message and knows); a customer writing to a snoozed or
    -- resolved conversation (it may wake or reopen it); a customer's
    -- message while a bot flow runs (its input); a customer's message
    -- matching a keyword rule.
    SELECT array_remove(ARRAY[
               CASE WHEN side.speaker IS NOT NULL AND side.speaker IS DISTINCT FROM conv.last_speaker
                         AND sqlc.arg(sender_type)::text <> 'bot'
                    THEN 'turn' END,
               CASE WHEN side.speaker = 'customer' AND conv.status IN ('snoozed', 'resolved')
                    THEN 'customer_' || conv.status END,
               CASE WHEN side.speaker = 'customer' AND conv.status = 'open' AND conv.phase = 'bot'
                    THEN 'bot_input' END,
               CASE WHEN side.speaker = 'customer' AND sqlc.narg(keyword_rule_id)::uuid IS NOT NULL
                    THEN 'keyword_rule' END
           ], NULL)::text[] AS reasons,
           CASE WHEN side.speaker = 'customer' THEN sqlc.narg(keyword_rule_id)::uuid END AS keyword_rule_id,
           side.speaker
    FROM conv, side
), msg AS (
    INSERT INTO messages (id, workspace_id, conversation_id, seq, sender_type, sender_id, body, idempotency_key,
                          signal_reasons, keyword_rule_id, quick_replies, created_at)
    SELECT sqlc.arg(id), conv.workspace_id, conv.id, conv.last_seq + 1, sqlc.arg(sender_type),
           sqlc.narg(sender_id), sqlc.arg(body), sqlc.narg(idempotency_key), decision.reasons,
           decision.keyword_rule_id, COALESCE(sqlc.narg(quick_replies)::text[], '{}'), sqlc.arg(created_at)
    FROM conv, decision
    ON CONFLICT (conversation_id, sender_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
), bump AS (
    UPDATE conversations c
    SET last_seq = msg.seq,
        message_count = c.message_count + 1,
        last_message_at = msg.created_at,
        last_message_preview = sqlc.arg(preview),
        last_activity_at = msg.created_at,
        last_speaker = COALESCE(decision.speaker, c.last_speaker),
        first_response_at = CASE WHEN msg.sender_type = 'operator' THEN COALESCE(c.first_response_at, msg.created_at)
                                 ELSE c.first_response_at END,
        updated_at = msg.created_at
    FROM msg, decision
    WHERE c.workspace_id = msg.workspace_id AND c.id = msg.conversation_id
    RETURNING c.id
), queued AS (
    -- The payload is what the workflow may know of the message: ids, seq,
    -- sender, why it is told, the keyword rule's match as it was when
    -- matched. Never the body: it would land in Temporal's history.
    INSERT INTO outbox (workspace_id, conversation_id, kind, payload)
    SELECT msg.workspace_id, msg.conversation_id, 'message.created',
           jsonb_build_object('id', msg.id, 'conversation_id', msg.conversation_id, 'seq', msg.seq,
                              'sender_type', msg.sender_type, 'sender_id', msg.sender_id,
                              'reasons', msg.signal_reasons, 'created_at', msg.created_at)
           || CASE WHEN msg.keyword_rule_id IS NULL THEN '{}'::jsonb
                   ELSE jsonb_build_object('keyword', jsonb_strip_nulls(jsonb_build_object(
                            'rule_id', msg.keyword_rule_id,
                            'priority', sqlc.narg(keyword_priority)::text,
                            'department_id', sqlc.narg(keyword_department_id)::uuid))) END
    FROM msg
    WHERE cardinality(msg.signal_reasons) > 0
    RETURNING id
)
SELECT conv.visitor_id, conv.contact_id, conv.department_id, conv.assignee_id,
       msg.id AS message_id, msg.seq, msg.created_at, msg.signal_reasons
FROM conv
LEFT JOIN msg ON true;

-- name: MessageGetByIdempotencyKey :one
SELECT * FROM messages
WHERE workspace_id = $1 AND conversation_id = $2 AND sender_id = $3 AND idempotency_key = $4;

-- name: MessageListAfter :many
SELECT * FROM messages
WHERE workspace_id = $1 AND conversation_id = $2 AND seq > $3
ORDER BY seq
LIMIT $4;

-- name: MessageListBefore :many
-- A page of history going back: the messages just before seq, newest
-- first (the store returns them oldest first). Opening a long
-- conversation reads its last page, not its first.
SELECT * FROM messages
WHERE workspace_id = $1 AND conversation_id = $2 AND seq < $3
ORDER BY seq DESC
LIMIT $4;

-- name: MessageGetFirstByIdempotencyKey :one
-- The first message of a conversation started with an idempotency key,
-- whichever device of the contact sent it.
SELECT * FROM messages
WHERE workspace_id = $1 AND conversation_id = $2 AND sender_type = 'visitor' AND idempotency_key = $3
ORDER BY seq
LIMIT 1;

-- name: MessageGet :one
SELECT * FROM messages WHERE workspace_id = $1 AND conversation_id = $2 AND id = $3;
