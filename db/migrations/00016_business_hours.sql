-- A department's business hours (package calendar: a time zone, weekly
-- spans, holidays); null: always open. Bot flows ask whether a department
-- is open; SLA clocks will count business time with it.

-- +goose Up
ALTER TABLE departments ADD COLUMN business_hours jsonb;

-- +goose Down
ALTER TABLE departments DROP COLUMN business_hours;
