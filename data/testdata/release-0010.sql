-- A circlebot database as the release with schema 0010 left it (stop 17: the
-- release-0003 database upgraded by that release's data.Store, then a circle
-- language, a member's locale, a circle card, a closed-DM mark and an archived
-- circle written through it), dumped with sqlite3 .dump. Never regenerate it: it
-- stands for databases already out there. TestUpgradeFromPreviousRelease upgrades it.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT;
INSERT INTO schema_migrations VALUES(1,'0001_init',1793620800000);
INSERT INTO schema_migrations VALUES(2,'0002_session_opening',1793620800000);
INSERT INTO schema_migrations VALUES(3,'0003_channel_requested',1793620800000);
INSERT INTO schema_migrations VALUES(4,'0004_ended_memberships',1793620800000);
INSERT INTO schema_migrations VALUES(5,'0005_listing_indexes',1793620800000);
INSERT INTO schema_migrations VALUES(6,'0006_circle_plans',1793620800000);
INSERT INTO schema_migrations VALUES(7,'0007_recurrence_events',1793620800000);
INSERT INTO schema_migrations VALUES(8,'0008_room',1793620800000);
INSERT INTO schema_migrations VALUES(9,'0009_event_sync',1793620800000);
INSERT INTO schema_migrations VALUES(10,'0010_locales',1793620800000);
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
INSERT INTO guilds VALUES('100000000000000001','200000000000000001','400000000000000001','500000000000000001','Call your local emergency number.',24,60,1,1793620800000,NULL);
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
, every_weeks INTEGER NOT NULL DEFAULT 0, anchor_date TEXT NOT NULL DEFAULT '', nth_weekday INTEGER NOT NULL DEFAULT 0, events INTEGER NOT NULL DEFAULT 0) STRICT;
INSERT INTO circles VALUES(1,'100000000000000001','Grief circle','grief circle','peer','',2,1,1,replace('1. What is shared here stays here. Do not copy, screenshot or repeat what others say.\n2. Listen without judging. Speak from your own experience ("I" statements) and don''t give advice unless someone asks for it.\n3. Share only what you are comfortable sharing. You may just listen.\n4. Give everyone room to speak; the facilitator may gently keep time.\n5. This circle is peer support, not therapy or medical care. If you are in crisis, use /helpnow or call your local emergency number.\n6. Be kind. The facilitators may remove anyone who makes the circle unsafe.','\n',char(10)),1,'[]',2,19,0,'','Europe/Berlin',90,1,0,0,1793620800000,'200000000000000001',0,'',0,0);
INSERT INTO circles VALUES(2,'100000000000000002','Carers'' circle','carers'' circle','peer','',10,-1,0,replace('1. What is shared here stays here. Do not copy, screenshot or repeat what others say.\n2. Listen without judging. Speak from your own experience ("I" statements) and don''t give advice unless someone asks for it.\n3. Share only what you are comfortable sharing. You may just listen.\n4. Give everyone room to speak; the facilitator may gently keep time.\n5. This circle is peer support, not therapy or medical care. If you are in crisis, use /helpnow or call your local emergency number.\n6. Be kind. The facilitators may remove anyone who makes the circle unsafe.','\n',char(10)),1,'[]',2,19,0,'','Europe/Berlin',90,1,0,1,1793620800000,'200000000000000001',0,'',0,0);
CREATE TABLE circle_facilitators (
    circle_id INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    position  INTEGER NOT NULL, -- keeps the order the facilitators were listed in
    PRIMARY KEY (circle_id, user_id)
) STRICT, WITHOUT ROWID;
INSERT INTO circle_facilitators VALUES(1,'200000000000000001',0);
INSERT INTO circle_facilitators VALUES(2,'200000000000000001',0);
CREATE TABLE sequences (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
INSERT INTO sequences VALUES('waitlist',1);
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
    removed_by    TEXT NOT NULL DEFAULT '', dm_unreachable_at INTEGER,
    PRIMARY KEY (circle_id, user_id),
    CHECK ((status = 'waitlisted') = (waitlist_seq IS NOT NULL))
) STRICT, WITHOUT ROWID;
INSERT INTO memberships VALUES(1,'300000000000000001','100000000000000001','member','active',1793620800000,NULL,NULL,1793620800000,1,'',1793707200000);
INSERT INTO memberships VALUES(1,'300000000000000002','100000000000000001','member','left',1793620800000,NULL,NULL,1793624400000,1,'',NULL);
INSERT INTO memberships VALUES(1,'300000000000000003','100000000000000001','listener','removed',1793620800000,NULL,NULL,1793628000000,1,'200000000000000001',NULL);
INSERT INTO memberships VALUES(1,'300000000000000004','100000000000000001','member','active',1793624400000,NULL,NULL,1793624400000,1,'',NULL);
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
INSERT INTO consent_events VALUES(1,'100000000000000001',1,'300000000000000001',1,'member','given',1793620800000);
INSERT INTO consent_events VALUES(2,'100000000000000001',1,'300000000000000002',1,'member','given',1793620800000);
INSERT INTO consent_events VALUES(3,'100000000000000001',1,'300000000000000003',1,'listener','given',1793620800000);
INSERT INTO consent_events VALUES(4,'100000000000000001',1,'300000000000000004',1,'member','given',1793620800000);
INSERT INTO consent_events VALUES(5,'100000000000000001',1,'300000000000000002',1,'member','withdrawn',1793624400000);
INSERT INTO consent_events VALUES(6,'100000000000000001',1,'300000000000000003',1,'listener','withdrawn',1793628000000);
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
    due_at                INTEGER, guidelines_pinned INTEGER NOT NULL DEFAULT 0, opening_pending INTEGER NOT NULL DEFAULT 0, channel_lost INTEGER NOT NULL DEFAULT 0, channel_requested INTEGER NOT NULL DEFAULT 0, event_id TEXT NOT NULL DEFAULT '', event_requested INTEGER NOT NULL DEFAULT 0,
    -- One row per occurrence: this is what makes planning and opening idempotent.
    UNIQUE (circle_id, start_at)
) STRICT;
INSERT INTO sessions VALUES(1,'100000000000000001',1,1793728800000,1793734200000,'open','','600000000000000001','',0,0,0,0,0,0,'',0,0,0,NULL,NULL,NULL,NULL,0,0,0,0,'',0);
INSERT INTO sessions VALUES(2,'100000000000000001',1,1794333600000,1794339000000,'planned','',NULL,'',0,0,0,0,0,0,'',0,0,0,NULL,NULL,NULL,NULL,0,0,0,0,'',0);
CREATE TABLE rsvps (
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    guild_id   TEXT NOT NULL,
    circle_id  INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    status     TEXT NOT NULL CHECK (status IN ('going', 'skip')),
    at         INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
) STRICT, WITHOUT ROWID;
INSERT INTO rsvps VALUES(1,'300000000000000001','100000000000000001',1,'going',1793620800000);
CREATE TABLE circle_plans (
    circle_id  INTEGER PRIMARY KEY REFERENCES circles (id) ON DELETE CASCADE,
    gen        INTEGER NOT NULL DEFAULT 0,
    next_start INTEGER NOT NULL DEFAULT 0,
    session_id INTEGER
) STRICT;
INSERT INTO circle_plans VALUES(1,0,0,NULL);
INSERT INTO circle_plans VALUES(2,1,9223372036854775807,NULL);
CREATE TABLE circle_cards (
    circle_id  INTEGER NOT NULL REFERENCES circles (id) ON DELETE CASCADE,
    guild_id   TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    posted_at  INTEGER NOT NULL,
    PRIMARY KEY (circle_id, channel_id)
) STRICT, WITHOUT ROWID;
INSERT INTO circle_cards VALUES(1,'100000000000000001','300000000000000080','300000000000000081',1793707200000);
CREATE TABLE session_rounds (
    session_id INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    minutes    INTEGER NOT NULL
) STRICT;
CREATE TABLE circle_locales (
    circle_id INTEGER PRIMARY KEY REFERENCES circles (id) ON DELETE CASCADE,
    locale    TEXT NOT NULL
) STRICT;
INSERT INTO circle_locales VALUES(1,'de');
CREATE TABLE user_locales (
    guild_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    locale   TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;
INSERT INTO user_locales VALUES('100000000000000001','300000000000000001','de');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('circles',2);
INSERT INTO sqlite_sequence VALUES('consent_events',6);
INSERT INTO sqlite_sequence VALUES('sessions',2);
CREATE INDEX guilds_removed ON guilds (removed_at) WHERE removed_at IS NOT NULL;
CREATE INDEX guilds_owner ON guilds (owner_id) WHERE owner_id IS NOT NULL;
CREATE UNIQUE INDEX circles_guild_name ON circles (guild_id, name_fold) WHERE archived = 0;
CREATE UNIQUE INDEX circles_guild_name_nocase ON circles (guild_id, name COLLATE NOCASE) WHERE archived = 0;
CREATE INDEX circles_guild ON circles (guild_id, name_fold);
CREATE INDEX circles_created_by ON circles (created_by);
CREATE INDEX circle_facilitators_user ON circle_facilitators (user_id);
CREATE INDEX memberships_user ON memberships (user_id, guild_id);
CREATE INDEX memberships_guild ON memberships (guild_id, status);
CREATE INDEX memberships_seats ON memberships (circle_id, status, mode);
CREATE INDEX memberships_waitlist ON memberships (circle_id, mode, waitlist_seq) WHERE waitlist_seq IS NOT NULL;
CREATE INDEX memberships_removed_by ON memberships (removed_by) WHERE removed_by <> '';
CREATE INDEX consent_events_circle_user ON consent_events (circle_id, user_id, at, id);
CREATE INDEX consent_events_user ON consent_events (user_id);
CREATE TRIGGER consent_events_append_only
BEFORE UPDATE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'consent_events is an append-only ledger');
END;
CREATE INDEX sessions_due ON sessions (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX sessions_channel ON sessions (channel_id) WHERE channel_id IS NOT NULL;
CREATE INDEX sessions_guild_start ON sessions (guild_id, start_at);
CREATE INDEX rsvps_user ON rsvps (user_id);
CREATE INDEX rsvps_circle ON rsvps (circle_id);
CREATE INDEX memberships_ended ON memberships (updated_at) WHERE status IN ('left', 'removed');
CREATE INDEX sessions_circle_state ON sessions (circle_id, state, start_at);
CREATE INDEX circle_facilitators_order ON circle_facilitators (circle_id, position);
CREATE INDEX circle_plans_next ON circle_plans (next_start);
CREATE TRIGGER circle_plans_circle_new AFTER INSERT ON circles
BEGIN
    INSERT INTO circle_plans (circle_id, next_start)
        VALUES (NEW.id, CASE WHEN NEW.archived THEN 9223372036854775807 ELSE 0 END);
END;
CREATE TRIGGER circle_plans_circle_changed AFTER UPDATE ON circles
BEGIN
    UPDATE circle_plans SET gen = gen + 1, session_id = NULL,
        next_start = CASE WHEN NEW.archived THEN 9223372036854775807 ELSE 0 END
        WHERE circle_id = NEW.id;
END;
CREATE TRIGGER circle_plans_session_changed AFTER UPDATE OF state, start_at, due_at ON sessions
    WHEN OLD.state = 'planned'
        AND (NEW.state <> 'planned' OR NEW.start_at <> OLD.start_at OR NEW.due_at IS NULL)
BEGIN
    UPDATE circle_plans SET gen = gen + 1, next_start = 0, session_id = NULL
        WHERE circle_id = OLD.circle_id AND session_id = OLD.id;
END;
CREATE TRIGGER circle_plans_session_gone AFTER DELETE ON sessions
    WHEN OLD.state = 'planned'
BEGIN
    UPDATE circle_plans SET gen = gen + 1, next_start = 0, session_id = NULL
        WHERE circle_id = OLD.circle_id AND session_id = OLD.id;
END;
CREATE INDEX circles_events ON circles (id) WHERE events <> 0 AND archived = 0;
CREATE INDEX sessions_event ON sessions (circle_id) WHERE event_id <> '' OR event_requested <> 0;
CREATE INDEX user_locales_user ON user_locales (user_id);
COMMIT;
