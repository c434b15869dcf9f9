-- +goose Up

-- A session gets an id, so that a revocation can name it without its
-- token hash.
ALTER TABLE operator_sessions
    ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();

-- Revoked credentials, written in the transaction that revokes them
-- (logout, API-token revocation, deactivation, password reset). Every API
-- node polls this table and closes the sockets the credential opened: the
-- bus message credential.revoked is only the fast path. Rows are kept an
-- hour (the maintenance schedule deletes older ones); a node reads only
-- the last seconds.
CREATE TABLE revocations (
    id           bigserial PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('session', 'token', 'operator')),
    -- The session's id, the API token's id or the operator's id.
    subject_id   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revocations_created_at ON revocations (created_at);

-- What the maintenance schedule deletes, found without a full scan.
CREATE INDEX operator_sessions_expires_at ON operator_sessions (expires_at);
CREATE INDEX operator_tokens_expires_at ON operator_tokens (expires_at);
CREATE INDEX operator_tokens_used_at ON operator_tokens (used_at) WHERE used_at IS NOT NULL;
CREATE INDEX visitors_anonymous_last_seen ON visitors (last_seen_at) WHERE contact_id IS NULL;

-- +goose Down
DROP INDEX visitors_anonymous_last_seen;
DROP INDEX operator_tokens_used_at;
DROP INDEX operator_tokens_expires_at;
DROP INDEX operator_sessions_expires_at;
DROP TABLE revocations;
ALTER TABLE operator_sessions DROP COLUMN id;
