-- Invitations and the mail outbox (issue 17). Both tables exist since the
-- core schema; here they get what the way in needs.

-- An invitation is one link: pending until it is accepted, revoked,
-- replaced by a newer one (resend, re-invite) or expired. A member has at
-- most one pending invitation; only its link works.
ALTER TABLE invitations DROP COLUMN accepted_at;
ALTER TABLE invitations DROP COLUMN revoked_at;
ALTER TABLE invitations ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE invitations ADD COLUMN ended_at BIGINT;
ALTER TABLE invitations ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE invitations ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
-- A seat reassignment: the active member whose seat this invitation takes.
ALTER TABLE invitations ADD COLUMN reassign_from BIGINT;
CREATE INDEX invitations_due ON invitations (state, expires_at);

-- A message is written in the transaction of the change that causes it and
-- delivered by a worker: held (its member is not invited yet), queued,
-- sending (under a lease), sent or failed.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'invitation';
ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'queued';
ALTER TABLE outbox ADD COLUMN member_id BIGINT;
ALTER TABLE outbox ADD COLUMN invitation_id BIGINT;
ALTER TABLE outbox ADD COLUMN from_name TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN lease_token TEXT;
ALTER TABLE outbox ADD COLUMN lease_expires_at BIGINT;
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);
CREATE INDEX outbox_member ON outbox (org_id, member_id, id);
CREATE INDEX outbox_sent ON outbox (org_id, sent_at);

-- "Forgot password?": single-use links that live an hour.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- The language of the organization's mail, and the e-mail domains its
-- sign-up page accepts (comma separated; empty: any).
ALTER TABLE organizations ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE organizations ADD COLUMN signup_domains TEXT NOT NULL DEFAULT '';
