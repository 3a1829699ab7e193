package data

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// The two statements of CircleStates. The circles asked about come as one
// JSON array, so each is one statement text (prepared once per connection)
// however many there are; stateCircles picks the guild's own among them,
// looked up by ID (CROSS JOIN keeps SQLite from reading the guild's every
// circle instead). Both statements must search indexes, never scan a
// table, and sessions by state (TestCircleStatesUseIndexes): a circle's
// history grows by a session a week for as long as it meets, while its
// open, planned and future skipped sessions stay a handful
// (sessions_circle_state, migration 0003). The sessions come unordered,
// so that no ORDER BY makes SQLite prefer an index that sorts over one
// that finds; they are sorted here.
const (
	stateCircles = `SELECT c.id FROM json_each(?) j CROSS JOIN circles c ON c.id = j.value WHERE c.guild_id = ?`

	circleSeatsSQL = `SELECT m.circle_id,
		COUNT(*) FILTER (WHERE m.status = 'active' AND m.mode = 'member'),
		COUNT(*) FILTER (WHERE m.status = 'active' AND m.mode = 'listener'),
		COUNT(*) FILTER (WHERE m.status = 'waitlisted')
		FROM memberships m
		WHERE m.circle_id IN (` + stateCircles + `) AND m.status IN ('active', 'waitlisted')
		GROUP BY m.circle_id`

	circleSessionsSQL = `SELECT ` + sessionCols + ` FROM sessions s
		WHERE s.circle_id IN (` + stateCircles + `) AND s.state IN ('open', 'planned')
		UNION ALL
		SELECT ` + sessionCols + ` FROM sessions s
		WHERE s.circle_id IN (` + stateCircles + `) AND s.state = 'skipped' AND s.start_at >= ?`
)

// CircleStates returns the state of each of the guild's circles in ids.
// A circle with no seats taken and no sessions to report has no entry: its
// state is the zero CircleState, which is what the map gives for it.
func (s *Store) CircleStates(ctx context.Context, guildID string, ids []int64, now time.Time) (map[int64]circles.CircleState, error) {
	out := map[int64]circles.CircleState{}
	if guildID == "" || len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, circles.Internal(err)
	}
	err = s.read(ctx, func(tx *sql.Tx) error {
		if err := circleSeats(ctx, tx, out, string(list), guildID); err != nil {
			return err
		}
		sessions, err := querySessions(ctx, tx, circleSessionsSQL, string(list), guildID, string(list), guildID, now.UnixMilli())
		if err != nil {
			return err
		}
		slices.SortFunc(sessions, func(a, b circles.Session) int {
			return cmp.Or(cmp.Compare(a.CircleID, b.CircleID), a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
		})
		for _, x := range sessions {
			st := out[x.CircleID]
			if x.State == circles.SessionSkipped {
				st.Skipped = append(st.Skipped, x.Start)
			} else {
				st.Sessions = append(st.Sessions, x)
			}
			out[x.CircleID] = st
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func circleSeats(ctx context.Context, tx *sql.Tx, out map[int64]circles.CircleState, list, guildID string) error {
	rows, err := tx.QueryContext(ctx, circleSeatsSQL, list, guildID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st circles.CircleState
		if err := rows.Scan(&id, &st.Seats.Members, &st.Seats.Listeners, &st.Waitlist); err != nil {
			return err
		}
		out[id] = st
	}
	return rows.Err()
}
