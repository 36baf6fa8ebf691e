-- The UTS #39 confusable skeleton of each member's normalized e-mail, so a
-- new address that looks like an existing one (a Cyrillic аррӏе.com for
-- apple.com) is found with an index. Filled in for existing members by the
-- migration runner (Rust computes the skeleton), in the same transaction.
ALTER TABLE members ADD COLUMN email_skeleton TEXT NOT NULL DEFAULT '';
CREATE INDEX members_by_skeleton ON members (org_id, email_skeleton);
