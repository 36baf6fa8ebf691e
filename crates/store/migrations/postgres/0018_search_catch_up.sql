-- The substring-search index catches up after an import (issue 25; see the
-- SQLite migration). On PostgreSQL imports do not defer it: the trigram
-- index is a GIN index, whose own pending list (fastupdate) already takes
-- its insertions in batches, and a flag cleared later would rewrite every
-- row (an UPDATE that changes an indexed predicate is not HOT). The column
-- is kept so both databases have one schema; it stays 0 here.
ALTER TABLE members ADD COLUMN search_pending BIGINT NOT NULL DEFAULT 0;
CREATE INDEX members_search_pending ON members (org_id, id) WHERE search_pending = 1;
