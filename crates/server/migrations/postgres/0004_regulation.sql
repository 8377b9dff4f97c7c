-- Counters are kept per account and origin, per account, and per origin;
-- `account` names the account a counter belongs to, so that unlocking an
-- account lifts all of its counters.
ALTER TABLE throttle ADD COLUMN account TEXT;
UPDATE throttle SET account = substr(key, 6) WHERE key LIKE 'user:%';
CREATE INDEX throttle_account ON throttle (account);
CREATE INDEX throttle_window ON throttle (window_start);

-- The origins (address, IPv6 by /64) each account has signed in from: a
-- distributed attack on an account does not lock its owner out of these.
CREATE TABLE familiar_origins (
    account TEXT NOT NULL,
    origin TEXT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (account, origin)
);
