-- name: KeywordRuleList :many
SELECT * FROM keyword_rules WHERE workspace_id = $1 ORDER BY position, created_at, id;

-- name: KeywordRuleListEnabled :many
-- The rule set the hot path caches, in the order rules are tried.
SELECT id, phrases, priority, department_id FROM keyword_rules
WHERE workspace_id = $1 AND enabled ORDER BY position, created_at, id;

-- name: KeywordRuleGet :one
SELECT * FROM keyword_rules WHERE workspace_id = $1 AND id = $2;

-- name: KeywordRuleInsert :one
-- A rule without a position goes last.
INSERT INTO keyword_rules (id, workspace_id, name, phrases, priority, department_id, position, enabled)
VALUES (sqlc.arg(id), sqlc.arg(workspace_id), sqlc.arg(name), sqlc.arg(phrases), sqlc.arg(priority),
        sqlc.narg(department_id),
        COALESCE(sqlc.narg(position)::integer,
                 (SELECT COALESCE(max(position) + 1, 0) FROM keyword_rules WHERE workspace_id = sqlc.arg(workspace_id))),
        sqlc.arg(enabled))
RETURNING *;

-- name: KeywordRuleUpdate :one
UPDATE keyword_rules
SET name = sqlc.arg(name), phrases = sqlc.arg(phrases), priority = sqlc.arg(priority),
    department_id = sqlc.narg(department_id), position = sqlc.arg(position), enabled = sqlc.arg(enabled),
    updated_at = now()
WHERE workspace_id = sqlc.arg(workspace_id) AND id = sqlc.arg(id)
RETURNING *;

-- name: KeywordRuleDelete :execrows
DELETE FROM keyword_rules WHERE workspace_id = $1 AND id = $2;

-- name: KeywordRuleCount :one
SELECT count(*) FROM keyword_rules WHERE workspace_id = $1;
