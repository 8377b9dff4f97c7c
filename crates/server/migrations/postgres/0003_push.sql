-- Push challenges (number matching) and the nonces of signed authenticator
-- requests, so that none is accepted twice.
CREATE TABLE push_challenges (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    session_hash TEXT NOT NULL,
    number BIGINT NOT NULL,
    client TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- pending, approved, denied, expired or voided
    status TEXT NOT NULL,
    answered_at BIGINT,
    device_id BIGINT
);
CREATE INDEX push_challenges_user ON push_challenges (user_id, status);

CREATE TABLE device_nonces (
    device_id BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
