-- A directory user's groups as the directory last gave them (one name a
-- line; applications may be open to some groups only), and when the
-- directory was last asked about the user: a user it no longer has loses
-- their sessions at the next asking.
ALTER TABLE users ADD COLUMN directory_groups TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN directory_checked_at BIGINT;
