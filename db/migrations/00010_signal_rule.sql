-- The workflow hears only the messages that can change its decisions (see
-- docs/SIGNALS.md). The statement that writes a message decides, from the
-- conversation row it locks, and records why with the message.

-- +goose Up
-- Whose turn it is: the side that wrote last ('customer': a visitor;
-- 'agent': an operator or the bot; null: nobody yet). A message from the
-- other side changes the turn, and the workflow hears of it (SLA clocks,
-- waiting-on-customer rules).
ALTER TABLE conversations ADD COLUMN last_speaker text CHECK (last_speaker IN ('customer', 'agent'));
-- The seq of the lifecycle event that set the conversation's status. A
-- customer message with a lower seq was written before that event, so it
-- does not wake what the event snoozed nor reopen what it resolved, however
-- late it reaches the workflow.
ALTER TABLE conversations ADD COLUMN status_seq bigint NOT NULL DEFAULT 0;
-- Why the conversation's workflow was told of the message; empty: it was
-- not (nothing it decides could change).
ALTER TABLE messages ADD COLUMN signal_reasons text[] NOT NULL DEFAULT '{}';

-- +goose Down
ALTER TABLE messages DROP COLUMN signal_reasons;
ALTER TABLE conversations DROP COLUMN status_seq;
ALTER TABLE conversations DROP COLUMN last_speaker;
