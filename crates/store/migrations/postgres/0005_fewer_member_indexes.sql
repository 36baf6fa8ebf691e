-- Every index costs each imported member a write; members_by_comment served no query.
DROP INDEX members_by_comment;
