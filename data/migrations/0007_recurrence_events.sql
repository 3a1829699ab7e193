-- Schedules that match real groups: every few weeks, and monthly on the
-- nth weekday (circles.Rule). And Discord scheduled events mirroring a
-- circle's sessions, for circles that opt in.

-- Weeks between sessions of a weekday rule (0 = every week).
ALTER TABLE circles ADD COLUMN every_weeks INTEGER NOT NULL DEFAULT 0;
-- YYYY-MM-DD of one session of an every-few-weeks rule: its weeks count from it.
ALTER TABLE circles ADD COLUMN anchor_date TEXT NOT NULL DEFAULT '';
-- Monthly on the nth weekday: 1–4, -1 = last, 0 = not monthly.
ALTER TABLE circles ADD COLUMN nth_weekday INTEGER NOT NULL DEFAULT 0;
-- The circle's sessions are mirrored as Discord scheduled events.
ALTER TABLE circles ADD COLUMN events INTEGER NOT NULL DEFAULT 0;

-- The Discord scheduled event mirroring the session ('' = none).
ALTER TABLE sessions ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
-- The bot is about to create the session's event: an interrupted create
-- looks for it among the server's events before making another.
ALTER TABLE sessions ADD COLUMN event_requested INTEGER NOT NULL DEFAULT 0;
