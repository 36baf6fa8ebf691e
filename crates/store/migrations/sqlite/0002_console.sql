-- Failed sign-ins, for throttling per account and per client address. Kept
-- in the database so that every instance sees the same count.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (throttle_key, at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
