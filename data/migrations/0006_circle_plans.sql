-- What start-up planning may skip. Every circle has one row; next_start
-- is the start of the circle's next session as the scheduler last planned
-- it (session_id), and 0 when the circle must be planned again. Any change
-- to the circle's row, and any change that takes that session off the
-- plan (it opens, is skipped, moves or goes), resets the mark and bumps
-- gen, so a mark computed before such a change is refused
-- (Store.MarkPlanned). A restart then plans only the circles whose mark is
-- reset or whose next session has begun: an indexed range, not a scan of
-- every circle. An archived circle's mark is the largest integer (never),
-- so archived circles stay out of that range however many there are.
CREATE TABLE circle_plans (
    circle_id  INTEGER PRIMARY KEY REFERENCES circles (id) ON DELETE CASCADE,
    gen        INTEGER NOT NULL DEFAULT 0,
    next_start INTEGER NOT NULL DEFAULT 0,
    session_id INTEGER
) STRICT;

CREATE INDEX circle_plans_next ON circle_plans (next_start);

-- Every existing circle is planned at the first start after the upgrade.
INSERT INTO circle_plans (circle_id, next_start)
    SELECT id, CASE WHEN archived THEN 9223372036854775807 ELSE 0 END FROM circles;

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
