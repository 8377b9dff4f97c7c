-- A value sealed with the encryption key, so a start with another key is
-- refused instead of leaving every device unusable.
CREATE TABLE key_check (
    id BIGINT PRIMARY KEY,
    sealed BYTEA NOT NULL
);

-- 1: the secret is bound to its user only; 2: to its user and device id.
-- Version 1 rows are sealed anew as version 2 at start.
ALTER TABLE devices ADD COLUMN sealing BIGINT NOT NULL DEFAULT 1;
-- The session that started a pending enrolment: only it sees the secret.
ALTER TABLE devices ADD COLUMN session_hash TEXT;

-- A disabled user cannot sign in; NULL: enabled.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_seen ON sessions (last_seen_at);
CREATE INDEX push_challenges_expiry ON push_challenges (expires_at);
CREATE INDEX push_challenges_session ON push_challenges (session_hash, status);
CREATE INDEX device_nonces_at ON device_nonces (at);
