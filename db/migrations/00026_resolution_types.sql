-- Resolution types: a workspace's own list of how a conversation ended,
-- offered to the operator who resolves it. A conversation stores the key;
-- a type is archived rather than deleted (resolved conversations keep
-- naming it), and an archived type is no longer offered. Every workspace
-- starts with the defaults (the trigger below, so no path that creates a
-- workspace can forget them).

-- +goose Up
CREATE TABLE resolution_types (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key          text NOT NULL CHECK (key ~ '^[a-z0-9_]{1,64}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    position     integer NOT NULL CHECK (position >= 0),
    archived     boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, key)
);

-- +goose StatementBegin
CREATE FUNCTION resolution_types_seed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO resolution_types (workspace_id, key, name, position)
    VALUES (NEW.id, 'answered_question', 'Answered question', 0),
           (NEW.id, 'action_taken', 'Action taken', 1),
           (NEW.id, 'not_a_problem', 'Not a problem', 2),
           (NEW.id, 'spam', 'Spam', 3),
           (NEW.id, 'duplicate', 'Duplicate', 4);
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER workspaces_resolution_types AFTER INSERT ON workspaces
    FOR EACH ROW EXECUTE FUNCTION resolution_types_seed();

-- The workspaces that exist get the defaults, and the fixed list's other
-- keys, archived, so conversations resolved with them keep a name.
INSERT INTO resolution_types (workspace_id, key, name, position, archived)
SELECT w.id, t.key, t.name, t.position, t.archived
FROM workspaces w
CROSS JOIN (VALUES ('answered_question', 'Answered question', 0, false),
                   ('action_taken', 'Action taken', 1, false),
                   ('not_a_problem', 'Not a problem', 2, false),
                   ('spam', 'Spam', 3, false),
                   ('duplicate', 'Duplicate', 4, false),
                   ('solved', 'Solved', 5, true),
                   ('unsolved', 'Unsolved', 6, true),
                   ('no_reply', 'No reply', 7, true)) AS t (key, name, position, archived);

-- +goose Down
DROP TRIGGER workspaces_resolution_types ON workspaces;
DROP FUNCTION resolution_types_seed();
DROP TABLE resolution_types;
