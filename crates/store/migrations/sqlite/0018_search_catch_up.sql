-- The substring-search index catches up after an import (issue 25): the
-- members an import adds carry search_pending = 1 and are not in
-- members_search yet, so the import is done for the admin without the
-- index's cost; the worker's `search.catch_up` job indexes them in batches
-- and clears the flag. Until it has, searches of that organization take
-- the exact LIKE path over members.search_text.
ALTER TABLE members ADD COLUMN search_pending BIGINT NOT NULL DEFAULT 0;
CREATE INDEX members_search_pending ON members (org_id, id) WHERE search_pending = 1;
DROP TRIGGER members_search_insert;
DROP TRIGGER members_search_delete;
DROP TRIGGER members_search_update;
CREATE TRIGGER members_search_insert AFTER INSERT ON members WHEN new.search_pending = 0 BEGIN
    INSERT INTO members_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
-- A row not in the index is never deleted from it: FTS5's 'delete' of text
-- it does not hold corrupts an external-content index.
CREATE TRIGGER members_search_delete AFTER DELETE ON members WHEN old.search_pending = 0 BEGIN
    INSERT INTO members_search(members_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
-- A pending row's new text is indexed by the catch-up, whatever it is then.
CREATE TRIGGER members_search_update AFTER UPDATE OF search_text ON members WHEN old.search_pending = 0 BEGIN
    INSERT INTO members_search(members_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO members_search(rowid, search_text) VALUES (new.id, new.search_text);
END;
