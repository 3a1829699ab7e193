-- What a start-up resyncs of Discord scheduled events: the circles that
-- mirror their sessions, and the sessions holding (or about to hold) an
-- event. Both partial, so finding them reads only those rows, however
-- many circles and sessions there are.
CREATE INDEX circles_events ON circles (id) WHERE events <> 0 AND archived = 0;
CREATE INDEX sessions_event ON sessions (circle_id) WHERE event_id <> '' OR event_requested <> 0;
