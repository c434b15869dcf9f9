-- +goose Up

-- An operator is an identity within one workspace: the same address may
-- work in several workspaces, each with its own password, role and
-- sessions. Unique per workspace only: a global index made an invite
-- answer "taken" for another workspace's people (any admin could probe who
-- works elsewhere) and kept one person out of a second workspace.
DROP INDEX operators_email;
CREATE UNIQUE INDEX operators_workspace_email ON operators (workspace_id, lower(email));
-- Login looks an address up across workspaces.
CREATE INDEX operators_email ON operators (lower(email));

-- +goose Down

-- A global index cannot hold an address that works in several workspaces:
-- refuse, rather than delete anyone's account.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM operators GROUP BY lower(email) HAVING count(*) > 1) THEN
        RAISE EXCEPTION 'cannot make operator emails globally unique again: an address belongs to several workspaces';
    END IF;
END
$$;
-- +goose StatementEnd
DROP INDEX operators_email;
DROP INDEX operators_workspace_email;
CREATE UNIQUE INDEX operators_email ON operators (email);
