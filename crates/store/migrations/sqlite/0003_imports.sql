-- Imports: the uploaded file (kept in the database, so every instance can
-- read it), its detected format and mapping, and per row what applying did,
-- with the values it replaced, for the report and for undo.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    file_name TEXT NOT NULL,
    detected TEXT NOT NULL,
    mapping TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL DEFAULT '{}',
    job_id BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    applied_at BIGINT,
    undone_at BIGINT
);
CREATE INDEX imports_org ON imports (org_id, id);

CREATE TABLE import_files (
    import_id BIGINT PRIMARY KEY REFERENCES imports(id) ON DELETE CASCADE,
    data BLOB NOT NULL
);

CREATE TABLE import_rows (
    import_id BIGINT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    action TEXT NOT NULL,
    member_id BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    before TEXT,
    PRIMARY KEY (import_id, line)
);
