-- name: OperatorInsert :one
INSERT INTO operators (id, workspace_id, email, name, password_hash, role)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING *;

-- name: OperatorGet :one
SELECT * FROM operators WHERE workspace_id = $1 AND id = $2;

-- name: OperatorGetByEmail :one
SELECT * FROM operators WHERE email = $1;
