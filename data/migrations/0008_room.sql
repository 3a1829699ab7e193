-- Facilitator room features (issue 11).
--
-- When a DM to a member last failed because they don't take DMs from the
-- bot (closed DMs), so the roster can show who missed a reminder or a
-- re-consent request; cleared by the next DM that gets through. A time
-- only: no message, no reason.
ALTER TABLE memberships ADD COLUMN dm_unreachable_at INTEGER;

-- Where a circle's public card was posted (/circle post), so it can be
-- kept current. Channel and message IDs only; the card's text is made
-- from the circle each time.
CREATE TABLE circle_cards (
    circle_id  INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    guild_id   TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    posted_at  INTEGER NOT NULL,
    PRIMARY KEY (circle_id, channel_id)
) STRICT, WITHOUT ROWID;

-- The round message of a session that has one running (/circle round), so
-- that a restarted bot can say the round was reset and start a fresh one.
-- Who spoke, raised a hand or passed is never stored: the round itself
-- lives in memory.
CREATE TABLE session_rounds (
    session_id INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    minutes    INTEGER NOT NULL
) STRICT;
