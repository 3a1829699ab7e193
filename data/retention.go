package data

import (
	"context"
	"database/sql"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// sweepBatch bounds the memberships one transaction of SweepEnded handles,
// so that a first sweep over years of history never holds the only writer
// connection for long.
const sweepBatch = 500

// bareMarker is a removal cut down to its marker: what EraseUser keeps,
// and all SweepEnded keeps of a removal.
const bareMarker = `mode = 'member' AND joined_at IS NULL AND waitlisted_at IS NULL AND reminders = 0 AND removed_by = '' AND dm_unreachable_at IS NULL`

// sweepEndedSQL finds up to ? memberships that ended before ? and still
// hold more than a bare removal marker.
const sweepEndedSQL = `SELECT circle_id, user_id, status FROM memberships
	WHERE status IN ('left', 'removed') AND (updated_at < ? OR updated_at IS NULL)
	AND NOT (status = 'removed' AND ` + bareMarker + ` AND NOT EXISTS (SELECT 1 FROM consent_events e
		WHERE e.circle_id = memberships.circle_id AND e.user_id = memberships.user_id))
	LIMIT ?`

// sweepArchivedSQL lists the circles archived before ? that still have
// memberships or consent events.
const sweepArchivedSQL = `SELECT id FROM circles WHERE archived_at < ?
	AND (EXISTS (SELECT 1 FROM memberships m WHERE m.circle_id = circles.id)
		OR EXISTS (SELECT 1 FROM consent_events e WHERE e.circle_id = circles.id))`

// sweepArchivedCircle deletes every membership of an archived circle and
// its consent ledger, removal markers included: nobody can join an
// archived circle, so a removal has nothing left to keep anyone from.
func sweepArchivedCircle(ctx context.Context, tx *sql.Tx, circleID int64, out *circles.Sweep) error {
	k, err := execCount(ctx, tx, `DELETE FROM consent_events WHERE circle_id = ?`, circleID)
	if err != nil {
		return err
	}
	out.ConsentEvents += k
	k, err = execCount(ctx, tx, `DELETE FROM memberships WHERE circle_id = ?`, circleID)
	out.ArchivedMemberships += k
	return err
}

// execCount runs a statement in tx and returns how many rows it changed.
func execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// SweepEnded deletes what is no longer needed about memberships that ended
// (left, or removed by a facilitator) before cutoff: the membership itself
// and its consent ledger. A removal keeps its bare marker — user, circle,
// status removed and when, as EraseUser leaves it — so that it stays in
// force until lifted; its ledger goes all the same. RSVPs to sessions that
// ended before cutoff are deleted too, whoever gave them. An ended
// membership's time is its updated_at: when it was left, removed or the
// removal lifted. A circle archived before cutoff loses every membership
// and its ledger (sweepArchivedCircle). Running it again finds nothing
// more to do.
func (s *Store) SweepEnded(ctx context.Context, cutoff time.Time) (circles.Sweep, error) {
	var out circles.Sweep
	before := cutoff.UnixMilli()
	for {
		var n int
		err := s.write(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, sweepEndedSQL, before, sweepBatch)
			if err != nil {
				return err
			}
			type ended struct {
				circle  int64
				user    string
				removed bool
			}
			var todo []ended
			for rows.Next() {
				var e ended
				var status string
				if err := rows.Scan(&e.circle, &e.user, &status); err != nil {
					rows.Close()
					return err
				}
				e.removed = status == string(circles.StatusRemoved)
				todo = append(todo, e)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			n = len(todo)
			for _, e := range todo {
				k, err := execCount(ctx, tx, `DELETE FROM consent_events WHERE circle_id = ? AND user_id = ?`, e.circle, e.user)
				if err != nil {
					return err
				}
				out.ConsentEvents += k
				if e.removed {
					if _, err := tx.ExecContext(ctx, `UPDATE memberships SET mode = 'member', joined_at = NULL,
						waitlisted_at = NULL, reminders = 0, removed_by = '', dm_unreachable_at = NULL WHERE circle_id = ? AND user_id = ?`,
						e.circle, e.user); err != nil {
						return err
					}
					out.RemovalsKept++
					continue
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE circle_id = ? AND user_id = ?`, e.circle, e.user); err != nil {
					return err
				}
				out.Memberships++
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		if n < sweepBatch {
			break
		}
	}
	// The circles to clear are listed once, then cleared one per
	// transaction.
	var archived []int64
	rows, err := s.r.QueryContext(ctx, sweepArchivedSQL, before)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return out, err
		}
		archived = append(archived, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	for _, id := range archived {
		if err := s.write(ctx, func(tx *sql.Tx) error { return sweepArchivedCircle(ctx, tx, id, &out) }); err != nil {
			return out, err
		}
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		k, err := execCount(ctx, tx, `DELETE FROM rsvps WHERE session_id IN (SELECT id FROM sessions WHERE end_at < ?)`, before)
		out.RSVPs = k
		return err
	})
	return out, err
}
