-- Single sign-on over OpenID Connect (issue 24): an organization's
-- provider, the e-mail domains it has proven, provider identities linked
-- to members, and sign-ins under way.

-- One provider per organization. The discovery document and the keys are
-- kept as fetched, so that every process of the instance verifies against
-- the same; the keys are fetched again once when a token names an unknown
-- one.
CREATE TABLE sso_connections (
    org_id BIGINT PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    -- Space separated; always with openid.
    scopes TEXT NOT NULL,
    email_claim TEXT NOT NULL,
    first_name_claim TEXT NOT NULL,
    last_name_claim TEXT NOT NULL,
    groups_claim TEXT NOT NULL,
    -- Newcomers the provider vouches for become members (off by default).
    jit BIGINT NOT NULL DEFAULT 0,
    -- Members sign in only through the provider (the primary admin keeps
    -- a break-glass password).
    required BIGINT NOT NULL DEFAULT 0,
    discovery TEXT NOT NULL,
    jwks TEXT NOT NULL,
    jwks_fetched_at BIGINT NOT NULL,
    tested_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A domain an organization claims for home-realm discovery and for
-- linking by e-mail. Proven by a DNS TXT record (or claimed by the
-- operator); a proven domain belongs to one organization of the instance.
CREATE TABLE sso_domains (
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    proof TEXT NOT NULL,
    verified_at BIGINT,
    verified_by TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, domain)
);
CREATE UNIQUE INDEX sso_domains_verified ON sso_domains (domain) WHERE verified_at IS NOT NULL;

-- A provider identity, by (issuer, subject), linked to one member of the
-- organization. (Several organizations may share an issuer — Google's —
-- and one person may be a member of each.)
CREATE TABLE sso_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    linked_at BIGINT NOT NULL,
    last_sign_in_at BIGINT,
    PRIMARY KEY (org_id, issuer, subject)
);
CREATE UNIQUE INDEX sso_identities_member ON sso_identities (member_id);

-- A sign-in under way: its state (hashed), the browser it belongs to (the
-- hash of a cookie), the nonce and the PKCE verifier. Used once.
CREATE TABLE sso_flows (
    state_hash TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- A session opened through the provider names its member: deactivating
-- or removing the member ends it at once.
ALTER TABLE sessions ADD COLUMN sso_member_id BIGINT;
CREATE INDEX sessions_sso_member ON sessions (sso_member_id) WHERE sso_member_id IS NOT NULL;
