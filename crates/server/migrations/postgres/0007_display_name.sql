-- The user's full name, where the administrator set one: applications behind
-- the gate are told it (Remote-Name).
ALTER TABLE users ADD COLUMN display_name TEXT;
