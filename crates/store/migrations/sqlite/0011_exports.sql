-- Exports (issue 18): a request, its job's progress, and the file it made,
-- kept in the database in parts of 1 MiB (as uploads are) so that every
-- instance can serve it, until the organization's export retention ends.

-- The id is the download's: 128 random bits in hex, never a counter.
CREATE TABLE exports (
    id TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    -- queued, running, ready, failed or expired.
    status TEXT NOT NULL,
    file_name TEXT NOT NULL,
    job_id BIGINT,
    rows_done BIGINT NOT NULL DEFAULT 0,
    rows_total BIGINT,
    size_bytes BIGINT,
    error TEXT,
    requested_by TEXT NOT NULL,
    requester_member BIGINT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at BIGINT
);
CREATE INDEX exports_org ON exports (org_id, created_at);
CREATE INDEX exports_due ON exports (status, expires_at);

CREATE TABLE export_file_parts (
    export_id TEXT NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
    part BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (export_id, part)
);

-- Last sign-in, for the member export.
ALTER TABLE accounts ADD COLUMN last_sign_in_at BIGINT;

-- Statistics over time: the members of each organization per status, role
-- and seat type, counted once a day by the worker (the day's last count
-- stays). Statuses of days before the first count are replayed from
-- member_status_history; roles and seat types have no history before it.
CREATE TABLE member_daily_counts (
    org_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    day BIGINT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (org_id, day, dimension, value)
);
