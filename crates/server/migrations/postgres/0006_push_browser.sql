-- The browser that asked for the sign-in (its User-Agent, shortened), for
-- the authenticator to show beside the address and time.
ALTER TABLE push_challenges ADD COLUMN browser TEXT NOT NULL DEFAULT '';
CREATE INDEX push_challenges_created ON push_challenges (user_id, created_at);
CREATE INDEX familiar_origins_seen ON familiar_origins (last_seen_at);
