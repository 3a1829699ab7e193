-- A circle's sessions by state: what is on, planned or skipped ahead is a
-- handful of rows, found without reading the circle's history (one closed
-- session a week for as long as it meets). CircleStates (/circles,
-- /mycircles, /join) searches it; so can the scheduler's lookups of a
-- circle's open and planned sessions.
CREATE INDEX sessions_circle_state ON sessions (circle_id, state, start_at);
