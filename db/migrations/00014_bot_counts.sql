-- A conversation a bot flow has (open, phase bot) is nobody's to claim yet:
-- the queue counts keep it in a bucket of its own ('bot') instead of among
-- the unclaimed. The bucket's status is the conversation's status, or
-- 'bot' for an open one in the bot phase.

-- +goose Up
ALTER TABLE conversation_counts DROP CONSTRAINT conversation_counts_status_check;
ALTER TABLE conversation_counts ADD CONSTRAINT conversation_counts_status_check CHECK (status IN ('open', 'snoozed', 'bot'));

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION conversation_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    nil CONSTANT uuid := '00000000-0000-0000-0000-000000000000';
    has_old boolean := TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'resolved';
    has_new boolean := TG_OP IN ('UPDATE', 'INSERT') AND NEW.status <> 'resolved';
    old_bucket text;
    new_bucket text;
BEGIN
    IF has_old THEN
        old_bucket := CASE WHEN OLD.status = 'open' AND OLD.phase = 'bot' THEN 'bot' ELSE OLD.status END;
    END IF;
    IF has_new THEN
        new_bucket := CASE WHEN NEW.status = 'open' AND NEW.phase = 'bot' THEN 'bot' ELSE NEW.status END;
    END IF;
    IF has_old AND has_new
       AND (COALESCE(OLD.department_id, nil), COALESCE(OLD.assignee_id, nil), old_bucket)
           = (COALESCE(NEW.department_id, nil), COALESCE(NEW.assignee_id, nil), new_bucket) THEN
        RETURN NULL; -- the same bucket (a phase change that is no bot change)
    END IF;
    -- Buckets are locked in key order (see 00012): no deadlock between
    -- opposite moves.
    IF has_old AND has_new
       AND (COALESCE(NEW.department_id, nil), COALESCE(NEW.assignee_id, nil), new_bucket)
           < (COALESCE(OLD.department_id, nil), COALESCE(OLD.assignee_id, nil), old_bucket) THEN
        PERFORM conversation_counts_add(NEW.workspace_id, NEW.department_id, NEW.assignee_id, new_bucket, 1);
        PERFORM conversation_counts_add(OLD.workspace_id, OLD.department_id, OLD.assignee_id, old_bucket, -1);
        RETURN NULL;
    END IF;
    IF has_old THEN
        PERFORM conversation_counts_add(OLD.workspace_id, OLD.department_id, OLD.assignee_id, old_bucket, -1);
    END IF;
    IF has_new THEN
        PERFORM conversation_counts_add(NEW.workspace_id, NEW.department_id, NEW.assignee_id, new_bucket, 1);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

DROP TRIGGER conversation_counts_update ON conversations;
CREATE TRIGGER conversation_counts_update AFTER UPDATE OF status, phase, department_id, assignee_id ON conversations
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.phase IS DISTINCT FROM NEW.phase
          OR OLD.department_id IS DISTINCT FROM NEW.department_id
          OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
    EXECUTE FUNCTION conversation_counts_move();

-- Recount under the new buckets (the table lock keeps writers out while
-- it happens).
LOCK TABLE conversations IN SHARE MODE;
DELETE FROM conversation_counts;
INSERT INTO conversation_counts (workspace_id, department_id, assignee_id, status, n)
SELECT workspace_id, COALESCE(department_id, '00000000-0000-0000-0000-000000000000'),
       COALESCE(assignee_id, '00000000-0000-0000-0000-000000000000'),
       CASE WHEN status = 'open' AND phase = 'bot' THEN 'bot' ELSE status END, count(*)
FROM conversations
WHERE status <> 'resolved'
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TRIGGER conversation_counts_update ON conversations;
CREATE TRIGGER conversation_counts_update AFTER UPDATE OF status, department_id, assignee_id ON conversations
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.department_id IS DISTINCT FROM NEW.department_id
          OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
    EXECUTE FUNCTION conversation_counts_move();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION conversation_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
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
LOCK TABLE conversations IN SHARE MODE;
DELETE FROM conversation_counts;
ALTER TABLE conversation_counts DROP CONSTRAINT conversation_counts_status_check;
ALTER TABLE conversation_counts ADD CONSTRAINT conversation_counts_status_check CHECK (status IN ('open', 'snoozed'));
INSERT INTO conversation_counts (workspace_id, department_id, assignee_id, status, n)
SELECT workspace_id, COALESCE(department_id, '00000000-0000-0000-0000-000000000000'),
       COALESCE(assignee_id, '00000000-0000-0000-0000-000000000000'), status, count(*)
FROM conversations
WHERE status <> 'resolved'
GROUP BY 1, 2, 3, 4;
