-- Comments on a contact: what the team knows about a customer beyond one
-- conversation, with @mentions like private notes (their items link to
-- the contact). They go with the contact: merged into the one that stays,
-- erased with it.

-- +goose Up
CREATE TABLE contact_comments (
    id           uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    contact_id   uuid NOT NULL,
    author_id    uuid NOT NULL,
    body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    mentions     uuid[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    edited_at    timestamptz,
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, author_id) REFERENCES operators (workspace_id, id),
    UNIQUE (workspace_id, id)
);
CREATE INDEX contact_comments_contact ON contact_comments (workspace_id, contact_id, created_at, id);

-- +goose Down
DROP TABLE contact_comments;
