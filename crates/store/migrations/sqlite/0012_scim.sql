-- SCIM 2.0 (issue 23): the identity provider's tokens, what the directory
-- says about a member beyond Roster's own fields, and teams that are the
-- directory's groups.

-- A SCIM token belongs to an organization; only its SHA-256 is kept.
CREATE TABLE scim_tokens (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX scim_tokens_org ON scim_tokens (org_id, id);

-- A member the directory provisioned or took over: its userName as sent
-- and as compared (NFC, lower case; unique per organization), its
-- externalId, the display name, and the directory's other attributes
-- (JSON, in SCIM's canonical form). A member without a userName answers
-- to its e-mail.
ALTER TABLE members ADD COLUMN directory BIGINT NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN scim_user_name TEXT;
ALTER TABLE members ADD COLUMN scim_user_name_key TEXT;
ALTER TABLE members ADD COLUMN external_id TEXT;
ALTER TABLE members ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN scim_attributes TEXT NOT NULL DEFAULT '{}';
-- The role a member held before a directory group granted them one: it
-- comes back when they leave the last such group.
ALTER TABLE members ADD COLUMN role_before_groups TEXT;
CREATE UNIQUE INDEX members_scim_user_name ON members (org_id, scim_user_name_key) WHERE scim_user_name_key IS NOT NULL;
CREATE INDEX members_external_id ON members (org_id, external_id) WHERE external_id IS NOT NULL;

-- A team that is a directory group: named by the directory (unique among
-- the organization's directory groups without regard to case), and
-- optionally granting its members a role.
ALTER TABLE teams ADD COLUMN directory BIGINT NOT NULL DEFAULT 0;
ALTER TABLE teams ADD COLUMN name_key TEXT;
ALTER TABLE teams ADD COLUMN grants_role TEXT;
CREATE UNIQUE INDEX teams_directory_name ON teams (org_id, name_key) WHERE name_key IS NOT NULL;
CREATE INDEX teams_directory ON teams (org_id, directory, id);

-- A directory member's e-mail addresses other than their member e-mail
-- (as compared: NFC, lower case), so that `emails.value eq "…"` finds a
-- member by any of them with an index.
CREATE TABLE member_emails (
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    email_key TEXT NOT NULL,
    PRIMARY KEY (member_id, email_key)
);
CREATE INDEX member_emails_key ON member_emails (org_id, email_key);
