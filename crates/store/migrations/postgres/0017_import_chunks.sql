-- Imports commit in chunks (issue 25). What an import has committed so far,
-- so that a job that runs again after a crash resumes after the last
-- committed line instead of writing any row twice: the last line of the
-- last committed chunk and how many rows that was. `written_at` is the time
-- every row the import writes carries (its members' `updated_at`), kept so a
-- resumed import writes the same one and undo can tell the import's writes
-- from later edits. `cancel_requested_by` names who asked an applying
-- import to stop: its job stops at the next chunk and takes back the rest.
ALTER TABLE imports ADD COLUMN committed_line BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN committed_rows BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN written_at BIGINT;
ALTER TABLE imports ADD COLUMN cancel_requested_by TEXT;
