-- Roster core schema (SQLite). Times are UTC milliseconds since the epoch
-- (BIGINT), flags are 0/1 (BIGINT): the same representation as on SQLite, so
-- one set of queries serves both. Every table but accounts and setup tokens
-- carries org_id, and every query filters on it.

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    accent_color TEXT NOT NULL DEFAULT '#1f6feb',
    logo_url TEXT NOT NULL DEFAULT '',
    invitation_lifetime_days BIGINT NOT NULL DEFAULT 30,
    export_retention_days BIGINT NOT NULL DEFAULT 4,
    job_history_days BIGINT NOT NULL DEFAULT 30,
    import_row_limit BIGINT NOT NULL DEFAULT 150000,
    managed_by_idp BIGINT NOT NULL DEFAULT 0,
    signup_enabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE seat_allocations (
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    seat_type TEXT NOT NULL,
    label TEXT NOT NULL,
    purchased BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, seat_type)
);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE custom_roles (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, key)
);

CREATE TABLE custom_fields (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    choices TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, key)
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    account_id BIGINT REFERENCES accounts(id),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    personal_id TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    skills TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    seat_type TEXT,
    status TEXT NOT NULL,
    external BIGINT NOT NULL DEFAULT 0,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    search_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE UNIQUE INDEX members_email ON members (org_id, email_normalized);
CREATE UNIQUE INDEX members_personal_id ON members (org_id, personal_id);
CREATE INDEX members_by_name ON members (org_id, last_name, first_name, id);
CREATE INDEX members_by_email ON members (org_id, email_normalized, id);
CREATE INDEX members_by_created ON members (org_id, created_at, id);
CREATE INDEX members_by_status ON members (org_id, status, id);
CREATE INDEX members_by_seat ON members (org_id, seat_type, status);
CREATE INDEX members_by_comment ON members (org_id, comment);
CREATE INDEX members_account ON members (account_id);
-- Substring search: an FTS5 trigram index over members.search_text, kept in
-- step by triggers (external content: the text is stored once, in members).
CREATE VIRTUAL TABLE members_search USING fts5(
    search_text, content='members', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER members_search_insert AFTER INSERT ON members BEGIN
    INSERT INTO members_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER members_search_delete AFTER DELETE ON members BEGIN
    INSERT INTO members_search(members_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER members_search_update AFTER UPDATE OF search_text ON members BEGIN
    INSERT INTO members_search(members_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO members_search(rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TABLE member_status_history (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX member_status_history_member ON member_status_history (member_id, id);
CREATE INDEX member_status_history_org_at ON member_status_history (org_id, at);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES teams(id),
    name TEXT NOT NULL,
    purpose TEXT NOT NULL DEFAULT '',
    external_key TEXT,
    is_division BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX teams_external_key ON teams (org_id, external_key) WHERE external_key IS NOT NULL;
CREATE INDEX teams_parent ON teams (org_id, parent_id);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    team_role TEXT NOT NULL DEFAULT 'member',
    core_member BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, member_id)
);
CREATE INDEX team_members_member ON team_members (member_id);

CREATE TABLE division_admins (
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, member_id)
);
CREATE INDEX division_admins_member ON division_admins (member_id);

CREATE TABLE content_items (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    owner_member_id BIGINT NOT NULL REFERENCES members(id),
    kind TEXT NOT NULL,
    external_ref TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, kind, external_ref)
);
CREATE INDEX content_items_owner ON content_items (owner_member_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_org ON api_tokens (org_id, id);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    org_id BIGINT REFERENCES organizations(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    seat_type TEXT,
    sender_name TEXT NOT NULL,
    sender_email TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX invitations_member ON invitations (org_id, member_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    org_id BIGINT REFERENCES organizations(id) ON DELETE CASCADE,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    org_id BIGINT REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,
    lease_token TEXT,
    lease_expires_at BIGINT,
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT,
    result TEXT,
    last_error TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_due ON jobs (status, run_after, id);
CREATE INDEX jobs_org ON jobs (org_id, created_at);

CREATE TABLE stored_files (
    id TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX stored_files_org ON stored_files (org_id, created_at);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    org_id BIGINT REFERENCES organizations(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    ip TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_org ON audit_events (org_id, id);
CREATE INDEX audit_events_action ON audit_events (org_id, action, id);
