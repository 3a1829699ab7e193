-- What listings (/circles, /mycircles, /join) read of each circle, found
-- without reading its history (data/circle_state.go).

-- A circle's sessions by state: what is on, planned or skipped ahead is a
-- handful of rows, found without reading the circle's history (one closed
-- session a week for as long as it meets). So can the scheduler's lookups
-- of a circle's open and planned sessions.
CREATE INDEX sessions_circle_state ON sessions (circle_id, state, start_at);

-- A circle's facilitators in the order they were listed, without sorting
-- them for every circle loaded.
CREATE INDEX circle_facilitators_order ON circle_facilitators (circle_id, position);
