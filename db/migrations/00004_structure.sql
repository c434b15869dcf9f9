-- +goose Up

-- Deleting a department or an inbox keeps the conversations and visitors
-- that referred to it, with their history: the reference is cleared.
-- Departments with open or snoozed conversations cannot be deleted (the API
-- answers 409), so this only ever unroutes resolved conversations.
ALTER TABLE conversations
    DROP CONSTRAINT conversations_workspace_id_department_id_fkey,
    ADD CONSTRAINT conversations_workspace_id_department_id_fkey
        FOREIGN KEY (workspace_id, department_id) REFERENCES departments (workspace_id, id)
        ON DELETE SET NULL (department_id),
    DROP CONSTRAINT conversations_workspace_id_inbox_id_fkey,
    ADD CONSTRAINT conversations_workspace_id_inbox_id_fkey
        FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes (workspace_id, id)
        ON DELETE SET NULL (inbox_id);

ALTER TABLE visitors
    DROP CONSTRAINT visitors_workspace_id_inbox_id_fkey,
    ADD CONSTRAINT visitors_workspace_id_inbox_id_fkey
        FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes (workspace_id, id)
        ON DELETE SET NULL (inbox_id);

-- +goose Down
ALTER TABLE visitors
    DROP CONSTRAINT visitors_workspace_id_inbox_id_fkey,
    ADD CONSTRAINT visitors_workspace_id_inbox_id_fkey
        FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes (workspace_id, id);

ALTER TABLE conversations
    DROP CONSTRAINT conversations_workspace_id_inbox_id_fkey,
    ADD CONSTRAINT conversations_workspace_id_inbox_id_fkey
        FOREIGN KEY (workspace_id, inbox_id) REFERENCES inboxes (workspace_id, id),
    DROP CONSTRAINT conversations_workspace_id_department_id_fkey,
    ADD CONSTRAINT conversations_workspace_id_department_id_fkey
        FOREIGN KEY (workspace_id, department_id) REFERENCES departments (workspace_id, id);
