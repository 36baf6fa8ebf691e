-- Every index costs each imported member a write. members_by_comment served
-- no query; members_by_email repeated members_email (a SQLite index ends
-- with the rowid, so the unique index already orders by e-mail, then id).
DROP INDEX members_by_comment;
DROP INDEX members_by_email;
