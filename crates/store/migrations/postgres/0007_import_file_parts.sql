-- Uploaded files in parts of 1 MiB instead of one value: writing or reading
-- a 55 MB file as one value cost the process several copies of it at once
-- (driver buffers), the largest item of a million-row import's memory.
CREATE TABLE import_file_parts (
    import_id BIGINT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    part BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (import_id, part)
);
INSERT INTO import_file_parts (import_id, part, data) SELECT import_id, 0, data FROM import_files;
DROP TABLE import_files;
