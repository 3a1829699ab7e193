-- An open records that it is about to create the session's channel, so
-- that only an open interrupted after that looks for the channel among
-- the server's (by its topic marker); a first open goes straight to
-- creating it, one REST call fewer.
ALTER TABLE sessions ADD COLUMN channel_requested INTEGER NOT NULL DEFAULT 0;

-- A session that got as far as a channel had asked for one.
UPDATE sessions SET channel_requested = 1 WHERE channel_id IS NOT NULL;
