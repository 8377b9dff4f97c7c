-- Users from the company directory: kept by the directory's own id of their
-- entry (entryUUID, objectGUID), which stays when they are renamed, so that
-- their devices stay theirs. NULL for the portal's own users. Their
-- password is the directory's: password_hash is empty and never checked.
ALTER TABLE users ADD COLUMN directory_id TEXT;
CREATE UNIQUE INDEX users_directory_id ON users (directory_id);
-- The user's e-mail address, from the directory (Remote-Email).
ALTER TABLE users ADD COLUMN email TEXT;
