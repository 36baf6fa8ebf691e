-- Saved column mappings: a name and, per header, the field it feeds, so the
-- same export from another system maps the same way next time.
CREATE TABLE import_mappings (
    id INTEGER PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    targets TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);
