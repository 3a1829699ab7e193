-- The daily retention sweep (SweepEnded) looks for memberships that ended
-- long ago; this keeps it to those rows however many active ones there are.
CREATE INDEX memberships_ended ON memberships (updated_at) WHERE status IN ('left', 'removed');
