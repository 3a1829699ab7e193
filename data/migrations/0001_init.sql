-- circlebot schema, version 1.
--
-- Times are INTEGER unix milliseconds in UTC; NULL means "not set" (the zero
-- time.Time). Snowflake IDs (guild, user, channel, role) are TEXT. Booleans
-- are INTEGER 0/1. No column holds message content or health information.

-- One row per server the bot has seen. Circles do not reference this table:
-- a circle may be created before GUILD_CREATE was recorded, and GuildSeen must
-- still report that first sighting as new.
CREATE TABLE guilds (
    id                  TEXT PRIMARY KEY,
    owner_id            TEXT,
    facilitator_role_id TEXT NOT NULL DEFAULT '',
    category_id         TEXT NOT NULL DEFAULT '',
    crisis_resources    TEXT NOT NULL DEFAULT '',
    retention_hours     INTEGER NOT NULL DEFAULT 0,
    reminder_minutes    INTEGER NOT NULL DEFAULT 0,
    configured          INTEGER NOT NULL DEFAULT 0,
    joined_at           INTEGER,
    removed_at          INTEGER
) STRICT;

CREATE INDEX guilds_removed ON guilds (removed_at) WHERE removed_at IS NOT NULL;
CREATE INDEX guilds_owner ON guilds (owner_id) WHERE owner_id IS NOT NULL;

CREATE TABLE circles (
    id                           INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id                     TEXT NOT NULL,
    name                         TEXT NOT NULL,
    -- name folded by Go (Unicode lower case): SQLite's NOCASE folds ASCII
    -- only, which would let "Überleben" and "überleben" coexist.
    name_fold                    TEXT NOT NULL,
    kind                         TEXT NOT NULL,
    topic                        TEXT NOT NULL DEFAULT '',
    capacity                     INTEGER NOT NULL,
    listener_cap                 INTEGER NOT NULL,
    listeners_allowed            INTEGER NOT NULL,
    guidelines_text              TEXT NOT NULL,
    guidelines_version           INTEGER NOT NULL CHECK (guidelines_version >= 1),
    prompts                      TEXT NOT NULL DEFAULT '[]', -- JSON array of strings, in order
    weekday                      INTEGER NOT NULL,
    hour                         INTEGER NOT NULL,
    minute                       INTEGER NOT NULL,
    cron                         TEXT NOT NULL DEFAULT '',
    timezone                     TEXT NOT NULL,
    duration_minutes             INTEGER NOT NULL,
    facilitator_gate             INTEGER NOT NULL DEFAULT 0,
    postpone_without_facilitator INTEGER NOT NULL DEFAULT 0,
    archived                     INTEGER NOT NULL DEFAULT 0,
    created_at                   INTEGER,
    created_by                   TEXT NOT NULL DEFAULT ''
) STRICT;

-- Names are unique per guild among circles that are not archived,
-- case-insensitively (an archived circle's name can be used again). The
-- NOCASE collation is belt and braces; name_fold carries the Unicode-aware
-- rule.
CREATE UNIQUE INDEX circles_guild_name ON circles (guild_id, name_fold) WHERE archived = 0;
CREATE UNIQUE INDEX circles_guild_name_nocase ON circles (guild_id, name COLLATE NOCASE) WHERE archived = 0;
-- A guild's circles, archived ones included, by name: the partial indexes
-- above skip archived circles, so lookups by name, listings with archived
-- circles and a guild purge would otherwise read every guild's circles.
CREATE INDEX circles_guild ON circles (guild_id, name_fold);
CREATE INDEX circles_created_by ON circles (created_by);

CREATE TABLE circle_facilitators (
    circle_id INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    position  INTEGER NOT NULL, -- keeps the order the facilitators were listed in
    PRIMARY KEY (circle_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX circle_facilitators_user ON circle_facilitators (user_id);

-- Hands out the waitlist order. A counter, not a timestamp: two joins in the
-- same millisecond, or a clock that steps back, must still queue in commit
-- order.
CREATE TABLE sequences (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;

INSERT INTO sequences (name, value) VALUES ('waitlist', 0);

-- The current place of a user in a circle. Consent is not stored here: it is
-- derived from consent_events, the ledger.
CREATE TABLE memberships (
    circle_id     INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    guild_id      TEXT NOT NULL,
    mode          TEXT NOT NULL CHECK (mode IN ('member', 'listener')),
    status        TEXT NOT NULL CHECK (status IN ('active', 'waitlisted', 'left', 'removed')),
    joined_at     INTEGER,
    waitlisted_at INTEGER,
    waitlist_seq  INTEGER, -- set exactly while status = 'waitlisted'
    updated_at    INTEGER,
    reminders     INTEGER NOT NULL DEFAULT 1,
    removed_by    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (circle_id, user_id),
    CHECK ((status = 'waitlisted') = (waitlist_seq IS NOT NULL))
) STRICT, WITHOUT ROWID;

CREATE INDEX memberships_user ON memberships (user_id, guild_id);
-- A guild's current members (the start-up check of who left the server).
CREATE INDEX memberships_guild ON memberships (guild_id, status);
CREATE INDEX memberships_seats ON memberships (circle_id, status, mode);
CREATE INDEX memberships_waitlist ON memberships (circle_id, mode, waitlist_seq) WHERE waitlist_seq IS NOT NULL;
CREATE INDEX memberships_removed_by ON memberships (removed_by) WHERE removed_by <> '';

-- The consent ledger: append-only. Rows are deleted only by erasure or a
-- guild purge, never changed.
CREATE TABLE consent_events (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id           TEXT NOT NULL,
    circle_id          INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    user_id            TEXT NOT NULL,
    guidelines_version INTEGER NOT NULL,
    mode               TEXT NOT NULL CHECK (mode IN ('member', 'listener')),
    action             TEXT NOT NULL CHECK (action IN ('given', 'withdrawn')),
    at                 INTEGER NOT NULL
) STRICT;

CREATE INDEX consent_events_circle_user ON consent_events (circle_id, user_id, at, id);
CREATE INDEX consent_events_user ON consent_events (user_id);

CREATE TRIGGER consent_events_append_only
BEFORE UPDATE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is an append-only ledger');
END;

CREATE TABLE sessions (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id              TEXT NOT NULL,
    circle_id             INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    start_at              INTEGER NOT NULL,
    end_at                INTEGER NOT NULL,
    state                 TEXT NOT NULL CHECK (state IN ('planned', 'open', 'closed', 'deleted', 'skipped', 'missed')),
    shift                 TEXT NOT NULL DEFAULT '',
    channel_id            TEXT,
    guidelines_message_id TEXT NOT NULL DEFAULT '',
    welcome_posted        INTEGER NOT NULL DEFAULT 0,
    prompts_posted        INTEGER NOT NULL DEFAULT 0,
    warning_sent          INTEGER NOT NULL DEFAULT 0,
    reminders_sent        INTEGER NOT NULL DEFAULT 0,
    shift_notice_sent     INTEGER NOT NULL DEFAULT 0,
    facilitator_alerted   INTEGER NOT NULL DEFAULT 0,
    -- the facilitator-presence notice in the channel, which "I'm here" edits
    gate_message_id       TEXT NOT NULL DEFAULT '',
    -- the guidelines version in force when the session opened (0 = not yet)
    guidelines_version    INTEGER NOT NULL DEFAULT 0,
    -- members with stale consent were DMed a re-consent button for it
    reconsent_asked       INTEGER NOT NULL DEFAULT 0,
    -- an access change failed to reach the channel: re-sync until it works
    access_dirty          INTEGER NOT NULL DEFAULT 0,
    opened_at             INTEGER,
    closed_at             INTEGER,
    delete_at             INTEGER,
    due_at                INTEGER,
    -- One row per occurrence: this is what makes planning and opening idempotent.
    UNIQUE (circle_id, start_at)
) STRICT;

-- Only pending sessions are indexed, so the scheduler's "what is next" is one
-- index lookup however long the history grows.
CREATE INDEX sessions_due ON sessions (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX sessions_channel ON sessions (channel_id) WHERE channel_id IS NOT NULL;
CREATE INDEX sessions_guild_start ON sessions (guild_id, start_at);

CREATE TABLE rsvps (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    guild_id   TEXT NOT NULL,
    circle_id  INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    status     TEXT NOT NULL CHECK (status IN ('going', 'skip')),
    at         INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX rsvps_user ON rsvps (user_id);
CREATE INDEX rsvps_circle ON rsvps (circle_id);
