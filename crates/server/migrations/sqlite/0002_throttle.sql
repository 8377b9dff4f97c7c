-- Failed passwords and codes, counted per account ("user:NAME") and per
-- client address ("addr:IP"), so a lock holds across instances and restarts.
CREATE TABLE throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);
