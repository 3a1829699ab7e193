-- When a circle was archived (issue 12, retention). An archived circle
-- never meets again and can't be joined, so its memberships and their
-- consent records are no longer needed: SweepEnded deletes them
-- data.keep_ended_days after the archive, as it does for memberships
-- that ended. The circle's own row stays (so /privacy export can still
-- name it) until the server is purged. Circles archived before this
-- migration count from the upgrade.
ALTER TABLE circles ADD COLUMN archived_at INTEGER;
UPDATE circles SET archived_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE archived <> 0;
CREATE INDEX circles_archived_at ON circles (archived_at) WHERE archived_at IS NOT NULL;
