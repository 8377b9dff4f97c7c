-- 1: the session was started or stepped up at a kiosk, so the server holds
-- it to the kiosk's short lifetimes wherever the browser goes. An integer,
-- not a boolean, so that both backends read it alike.
ALTER TABLE sessions ADD COLUMN kiosk BIGINT NOT NULL DEFAULT 0;
