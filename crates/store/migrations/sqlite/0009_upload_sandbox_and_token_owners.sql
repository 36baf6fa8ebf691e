-- What the upload sandbox made of each upload: its normalized table (UTF-8
-- CSV of line, problem and cells), in parts of 1 MiB like the file itself.
-- Imports uploaded before have none; it is made from their file when first read.
CREATE TABLE import_table_parts (
    import_id BIGINT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    part BIGINT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (import_id, part)
);

-- A token belongs to the member who made it (and acts with at most their
-- rights), or, without one, to the organization (made by the owner or the
-- command line). It may expire.
ALTER TABLE api_tokens ADD COLUMN member_id BIGINT REFERENCES members(id);
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
