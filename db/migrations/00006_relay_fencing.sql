-- +goose Up

-- The relay's lease. The advisory lock elects one relay, but a leader that
-- pauses or loses its session may go on working after another took over.
-- Each relay that becomes leader increments epoch, and its bookkeeping
-- (delete, retry later, dead-letter) happens only while epoch is still
-- its own: a deposed relay's statements change nothing. One row for the
-- whole deployment, so it is the one table without a workspace_id.
CREATE TABLE outbox_relay_lease (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch     bigint NOT NULL DEFAULT 0,
    holder    text NOT NULL DEFAULT '',
    taken_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO outbox_relay_lease DEFAULT VALUES;

-- A row that failed OUTBOX_MAX_ATTEMPTS times (or cannot be decoded) is
-- dead: the relay leaves it, and it no longer holds back its
-- conversation's later rows, until an admin retries it.
ALTER TABLE outbox ADD COLUMN dead_at timestamptz;
CREATE INDEX outbox_dead ON outbox (workspace_id, id) WHERE dead_at IS NOT NULL;

-- Message bodies no longer travel to Temporal: scrub the rows in flight.
UPDATE outbox SET payload = payload - 'body' - 'idempotency_key'
WHERE kind = 'message.created';

-- +goose Down
-- The scrubbed bodies stay scrubbed: the messages table keeps them.
DROP INDEX outbox_dead;
ALTER TABLE outbox DROP COLUMN dead_at;
DROP TABLE outbox_relay_lease;
