-- Opening a session no longer stops at its first cosmetic failure: members
-- are let in as soon as the guidelines are posted, and what is left of the
-- opening (pinning, re-consent DMs, the welcome, the facilitator notice) is
-- retried alongside the session's steps (Discord's PIN_MESSAGES split of
-- 2026-02-23 made a refused pin a real possibility).

-- The guidelines message is pinned.
ALTER TABLE sessions ADD COLUMN guidelines_pinned INTEGER NOT NULL DEFAULT 0;
-- The session is open, but parts of its opening still have to be done.
ALTER TABLE sessions ADD COLUMN opening_pending INTEGER NOT NULL DEFAULT 0;
-- Someone deleted the session's channel in Discord: the session ended there.
ALTER TABLE sessions ADD COLUMN channel_lost INTEGER NOT NULL DEFAULT 0;

-- Before this migration a session opened only once its guidelines were
-- pinned.
UPDATE sessions SET guidelines_pinned = 1
    WHERE guidelines_message_id <> '' AND state IN ('open', 'closed', 'deleted');
