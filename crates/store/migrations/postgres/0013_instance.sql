-- The instance's own settings that every process of it must agree on
-- (issue 24): today the base URL `roster serve` serves under, so that a
-- command run beside it makes links that point where people reach Roster.
CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
