-- Contacts as a module of their own: more of the person (phone, avatar,
-- when last seen), typed custom attributes defined per workspace, search
-- by name, email, phone or external id (a trigram index over one
-- generated column, so a substring of any of them is found at 1M
-- contacts), and the indexes merging and erasing a contact walk.
--
-- Attribute values live in contacts.attributes (bot flows already write
-- there, as text); a definition gives a key its name and type (text,
-- number, date as YYYY-MM-DD, boolean), which the API checks on write and
-- the list filters by.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE contacts
    ADD COLUMN phone text NOT NULL DEFAULT '' CHECK (length(phone) <= 50),
    ADD COLUMN avatar_url text NOT NULL DEFAULT '' CHECK (length(avatar_url) <= 1000),
    ADD COLUMN last_seen_at timestamptz,
    ADD COLUMN search text GENERATED ALWAYS AS
        (lower(name || ' ' || email || ' ' || phone || ' ' || coalesce(external_id, ''))) STORED;
CREATE INDEX contacts_search ON contacts USING gin (search gin_trgm_ops);
CREATE INDEX contacts_recent ON contacts (workspace_id, created_at DESC, id DESC);
CREATE INDEX contacts_attributes ON contacts USING gin (attributes jsonb_path_ops);
CREATE INDEX visitors_contact ON visitors (workspace_id, contact_id) WHERE contact_id IS NOT NULL;

CREATE TABLE contact_attribute_defs (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key          text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    type         text NOT NULL CHECK (type IN ('text', 'number', 'date', 'boolean')),
    position     integer NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, key)
);

-- +goose Down
DROP TABLE contact_attribute_defs;
DROP INDEX visitors_contact;
DROP INDEX contacts_attributes;
DROP INDEX contacts_recent;
ALTER TABLE contacts DROP COLUMN search, DROP COLUMN last_seen_at, DROP COLUMN avatar_url, DROP COLUMN phone;
DROP EXTENSION IF EXISTS pg_trgm;
