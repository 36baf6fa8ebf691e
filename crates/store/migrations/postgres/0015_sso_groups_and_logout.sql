-- Single sign-on, second part (issue 24): the ID token a session was opened
-- with (the provider's logout asks for it as `id_token_hint`), and groups
-- to roles and teams.

ALTER TABLE sessions ADD COLUMN sso_id_token TEXT;

-- A value of the provider's groups claim (a group's name or id, as Entra
-- ID and Okta send them) and what it gives: a role (never owner) or a
-- team's membership. One of the two.
CREATE TABLE sso_group_rules (
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    group_value TEXT NOT NULL,
    role TEXT,
    team_id BIGINT REFERENCES teams(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sso_group_rules_role ON sso_group_rules (org_id, group_value, role) WHERE role IS NOT NULL;
CREATE UNIQUE INDEX sso_group_rules_team ON sso_group_rules (org_id, group_value, team_id) WHERE team_id IS NOT NULL;

-- The roles the provider's groups gave a member at their last sign-in:
-- counted with the roles of directory groups (the strongest wins, never
-- owner; none left gives back the role held before).
CREATE TABLE sso_role_grants (
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (member_id, role)
);
