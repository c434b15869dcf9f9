-- +goose Up

-- The name an admin gave when inviting someone: shown in the list of
-- pending invites and used when the invitee accepts without giving one.
ALTER TABLE operator_tokens
    ADD COLUMN name text NOT NULL DEFAULT '' CHECK (length(name) <= 200);

-- +goose Down
ALTER TABLE operator_tokens DROP COLUMN name;
