-- Automation designers: an operator an admin lets define, simulate and
-- publish bot flows (and read their reports) without the admin role.

-- +goose Up
ALTER TABLE operators ADD COLUMN flow_designer boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE operators DROP COLUMN flow_designer;
