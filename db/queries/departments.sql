-- name: DepartmentInsert :one
INSERT INTO departments (id, workspace_id, name)
VALUES ($1, $2, $3)
RETURNING *;

-- name: DepartmentGet :one
SELECT * FROM departments WHERE workspace_id = $1 AND id = $2;
