-- Names in the order people read them (issue 25): each member's collation
-- key (roster_domain::NameSortKeys), compared as bytes by both databases so
-- neither the server's collation nor SQLite's byte order decides.
-- A key of another version than roster_domain::SORT_KEY_VERSION is computed
-- again by the worker: rows written before this migration (version 0), and
-- members whose organization's language changed to or from Dutch.
ALTER TABLE members ADD COLUMN sort_key BYTEA NOT NULL DEFAULT '\x'::bytea;
ALTER TABLE members ADD COLUMN sort_key_version BIGINT NOT NULL DEFAULT 0;
DROP INDEX members_by_name;
CREATE INDEX members_by_sort_key ON members (org_id, sort_key, id);
-- Empty but for keys still to compute; the literal is SORT_KEY_VERSION (a
-- new version recreates this index in its own migration).
CREATE INDEX members_stale_sort_key ON members (id) WHERE sort_key_version <> 1;
