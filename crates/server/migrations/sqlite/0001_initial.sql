-- Times are seconds since the Unix epoch (BIGINT), the same on both backends.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- trimmed and lower-cased
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- lower-cased name: "iPhone" and "iphone" are one name
    name_key TEXT NOT NULL,
    -- nonce || AES-256-GCM ciphertext of the TOTP secret
    secret BLOB NOT NULL,
    -- the last TOTP step accepted; only a later step may pass
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    -- NULL while the enrolment is pending ("Gereed" not yet pressed)
    activated_at BIGINT
);
CREATE UNIQUE INDEX devices_user_name ON devices (user_id, name_key);

CREATE TABLE sessions (
    -- SHA-256 of the cookie value
    id_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    level TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    username TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    client TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
