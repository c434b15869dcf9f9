-- +goose Up

-- A visitor's retried "start a conversation" finds the conversation its
-- first attempt created. The key belongs to whoever started it: the
-- contact when the visitor was verified (so the key means the same on
-- every device of the contact), else the visitor. The fingerprint is a
-- hash of what the first attempt asked for, so the same key with another
-- body is told apart from a retry.
ALTER TABLE conversations
    ADD COLUMN idempotency_owner       uuid,
    ADD COLUMN idempotency_key         text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    ADD COLUMN idempotency_fingerprint bytea,
    ADD CONSTRAINT conversations_idempotency_complete
        CHECK ((idempotency_key IS NULL) = (idempotency_owner IS NULL)
               AND (idempotency_key IS NULL) = (idempotency_fingerprint IS NULL));
CREATE UNIQUE INDEX conversations_idempotency
    ON conversations (workspace_id, idempotency_owner, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP INDEX conversations_idempotency;
ALTER TABLE conversations
    DROP CONSTRAINT conversations_idempotency_complete,
    DROP COLUMN idempotency_fingerprint,
    DROP COLUMN idempotency_key,
    DROP COLUMN idempotency_owner;
