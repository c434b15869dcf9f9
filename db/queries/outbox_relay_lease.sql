-- name: OutboxRelayLeaseTake :one
-- A relay that became leader takes the next epoch. The row lock orders it
-- after any fenced statement of the previous leader still running.
UPDATE outbox_relay_lease
SET epoch = epoch + 1, holder = sqlc.arg(holder), taken_at = now()
RETURNING epoch;

-- name: OutboxRelayLeaseGet :one
SELECT epoch, holder, taken_at FROM outbox_relay_lease;
