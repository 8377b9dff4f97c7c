-- A helpdesk pass: with the password, it lets a user register a device
-- without a working second factor. One per user (a new one replaces it);
-- only a keyed hash is kept. once = 1: spent at its first use (used_at);
-- 0: good until expires_at. issued_by names who made it, for the audit.
CREATE TABLE helpdesk_passes (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    once BIGINT NOT NULL,
    used_at BIGINT
);
