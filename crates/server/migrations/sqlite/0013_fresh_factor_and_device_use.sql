-- When the session last showed a second factor (a code, a push, a first
-- device's code, a recovery code): adding a device needs a recent one.
ALTER TABLE sessions ADD COLUMN second_factor_at BIGINT;
-- When the device last signed its user in (a code or an approved push),
-- for the devices screen.
ALTER TABLE devices ADD COLUMN last_used_at BIGINT;
