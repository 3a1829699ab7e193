-- Languages (issue 13). Only Discord locale codes ("de", "pt-BR") are
-- stored: nothing a person wrote, nothing about their health.

-- The language of a circle's session-channel messages (the welcome,
-- prompt headers, the warning, the closing note), set by /circle create
-- (default: the server's preferred locale) and /circle edit. A circle
-- without a row speaks English, as every circle did before.
CREATE TABLE circle_locales (
    circle_id INTEGER PRIMARY KEY REFERENCES circles (id) ON DELETE CASCADE,
    locale    TEXT NOT NULL
) STRICT;

-- The Discord locale a person's client last sent in a server, kept only
-- for people the bot may DM there (members, waitlisted, facilitators), so
-- that DMs speak their language. Erased with their other data.
CREATE TABLE user_locales (
    guild_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    locale   TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_locales_user ON user_locales (user_id);
