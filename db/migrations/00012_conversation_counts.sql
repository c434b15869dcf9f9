-- Queue counts kept as data changes, not COUNT(*) over the table: one row
-- per (department, assignee, status) of a workspace's unresolved
-- conversations, moved by triggers in the transaction that moves a
-- conversation. Messages do not touch them (they change none of the three
-- columns). The nil uuid stands for "none" (no department, unassigned) so
-- the key has no nulls. The inbox's counts read a workspace's rows, at most
-- departments × (operators + 1) × 2, and apply the viewer's visibility.

-- +goose Up
CREATE TABLE conversation_counts (
    workspace_id  uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    department_id uuid NOT NULL,
    assignee_id   uuid NOT NULL,
    status        text NOT NULL CHECK (status IN ('open', 'snoozed')),
    n             bigint NOT NULL,
    PRIMARY KEY (workspace_id, department_id, assignee_id, status)
);

-- +goose StatementBegin
CREATE FUNCTION conversation_counts_add(ws uuid, dept uuid, asg uuid, st text, delta int) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO conversation_counts (workspace_id, department_id, assignee_id, status, n)
    VALUES (ws, COALESCE(dept, '00000000-0000-0000-0000-000000000000'),
            COALESCE(asg, '00000000-0000-0000-0000-000000000000'), st, delta)
    ON CONFLICT (workspace_id, department_id, assignee_id, status)
    DO UPDATE SET n = conversation_counts.n + delta;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- A move takes a count from the old bucket and gives it to the new one.
-- Two moves between the same two buckets in opposite directions (a snooze
-- and a wake of one operator's conversations) would lock the two rows in
-- opposite orders and deadlock; the buckets are always locked in key
-- order.
CREATE FUNCTION conversation_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    nil CONSTANT uuid := '00000000-0000-0000-0000-000000000000';
    has_old boolean := TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'resolved';
    has_new boolean := TG_OP IN ('UPDATE', 'INSERT') AND NEW.status <> 'resolved';
BEGIN
    IF has_old AND has_new
       AND (COALESCE(NEW.department_id, nil), COALESCE(NEW.assignee_id, nil), NEW.status)
           < (COALESCE(OLD.department_id, nil), COALESCE(OLD.assignee_id, nil), OLD.status) THEN
        PERFORM conversation_counts_add(NEW.workspace_id, NEW.department_id, NEW.assignee_id, NEW.status, 1);
        PERFORM conversation_counts_add(OLD.workspace_id, OLD.department_id, OLD.assignee_id, OLD.status, -1);
        RETURN NULL;
    END IF;
    IF has_old THEN
        PERFORM conversation_counts_add(OLD.workspace_id, OLD.department_id, OLD.assignee_id, OLD.status, -1);
    END IF;
    IF has_new THEN
        PERFORM conversation_counts_add(NEW.workspace_id, NEW.department_id, NEW.assignee_id, NEW.status, 1);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER conversation_counts_insert_delete AFTER INSERT OR DELETE ON conversations
    FOR EACH ROW EXECUTE FUNCTION conversation_counts_move();
CREATE TRIGGER conversation_counts_update AFTER UPDATE OF status, department_id, assignee_id ON conversations
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.department_id IS DISTINCT FROM NEW.department_id
          OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
    EXECUTE FUNCTION conversation_counts_move();

INSERT INTO conversation_counts (workspace_id, department_id, assignee_id, status, n)
SELECT workspace_id, COALESCE(department_id, '00000000-0000-0000-0000-000000000000'),
       COALESCE(assignee_id, '00000000-0000-0000-0000-000000000000'), status, count(*)
FROM conversations
WHERE status <> 'resolved'
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TRIGGER conversation_counts_update ON conversations;
DROP TRIGGER conversation_counts_insert_delete ON conversations;
DROP FUNCTION conversation_counts_move();
DROP FUNCTION conversation_counts_add(uuid, uuid, uuid, text, int);
DROP TABLE conversation_counts;
