-- +goose Up

-- What a visitor says about itself without proof (no valid identity hash):
-- shown to operators as a claim, never linked to a contact, never a key to
-- any contact's history. A verified visitor has contact_id instead.
ALTER TABLE visitors
    ADD COLUMN claimed_external_id text NOT NULL DEFAULT '' CHECK (length(claimed_external_id) <= 200),
    ADD COLUMN claimed_name        text NOT NULL DEFAULT '' CHECK (length(claimed_name) <= 200),
    ADD COLUMN claimed_email       text NOT NULL DEFAULT '' CHECK (length(claimed_email) <= 320);

-- A verified visitor reads its contact's conversations from other devices.
CREATE INDEX conversations_contact ON conversations (workspace_id, contact_id, created_at DESC)
    WHERE contact_id IS NOT NULL;

-- 00002's default drew the identity secret from random(), which is not a
-- cryptographic generator. gen_random_uuid() is (122 random bits each).
-- No secret has been handed out before this migration (the endpoint that
-- shows it arrives with it), so replacing the existing ones breaks nothing.
ALTER TABLE workspaces
    ALTER COLUMN identity_secret SET DEFAULT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');
UPDATE workspaces
    SET identity_secret = decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');

-- +goose Down
ALTER TABLE workspaces
    ALTER COLUMN identity_secret SET DEFAULT decode(md5(random()::text) || md5(random()::text), 'hex');
DROP INDEX conversations_contact;
ALTER TABLE visitors
    DROP COLUMN claimed_external_id,
    DROP COLUMN claimed_name,
    DROP COLUMN claimed_email;
