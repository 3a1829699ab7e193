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
// however many there are, and drive the search: CROSS JOIN makes SQLite
// look each one up rather than read the guild's every membership or
// session and filter. Seats are counted from memberships_seats alone,
// after the circle's guild is checked, so that members who left long ago
// are never read. Both must search indexes, never scan a
// table, and sessions by state (TestCircleStatesUseIndexes): a circle's
// history grows by a session a week for as long as it meets, while its
// open, planned and future skipped sessions stay a handful
// (sessions_circle_state, migration circle_state_index). Only the columns a listing
// shows are read: most of a statement's cost is its columns. The sessions
// come unordered, so that no ORDER BY makes SQLite prefer an index that
// sorts over one that finds; they are sorted here.
const (
	circleSeatsSQL = `SELECT c.id,
		COUNT(*) FILTER (WHERE m.status = 'active' AND m.mode = 'member'),
		COUNT(*) FILTER (WHERE m.status = 'active' AND m.mode = 'listener'),
		COUNT(*) FILTER (WHERE m.status = 'waitlisted')
		FROM json_each(?) j CROSS JOIN circles c ON c.id = j.value AND c.guild_id = ?
		CROSS JOIN memberships m ON m.circle_id = c.id AND m.status IN ('active', 'waitlisted')
		GROUP BY c.id`

	briefCols = `s.id, s.circle_id, s.start_at, s.end_at, s.state, s.channel_id`

	circleSessionsSQL = `SELECT ` + briefCols + `
		FROM json_each(?) j CROSS JOIN sessions s ON s.circle_id = j.value AND s.state IN ('open', 'planned')
		WHERE s.guild_id = ?
		UNION ALL
		SELECT ` + briefCols + `
		FROM json_each(?) j CROSS JOIN sessions s ON s.circle_id = j.value AND s.state = 'skipped' AND s.start_at >= ?
		WHERE s.guild_id = ?`
)

// CircleStates returns the state of each of the guild's circles in ids.
// A circle with no seats taken and no sessions to report has no entry: its
// state is the zero CircleState, which is what the map gives for it.
func (s *Store) CircleStates(ctx context.Context, guildID string, ids []int64, now time.Time) (map[int64]circles.CircleState, error) {
	out := map[int64]circles.CircleState{}
	if guildID == "" || len(ids) == 0 {
		return out, nil
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return nil, circles.Internal(err)
	}
	list := string(b)
	err = s.read(ctx, func(tx *sql.Tx) error {
		if err := circleSeats(ctx, tx, out, list, guildID); err != nil {
			return err
		}
		return circleSessions(ctx, tx, out, list, guildID, now)
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

type circleSession struct {
	circleID int64
	circles.SessionBrief
}

func circleSessions(ctx context.Context, tx *sql.Tx, out map[int64]circles.CircleState, list, guildID string, now time.Time) error {
	rows, err := tx.QueryContext(ctx, circleSessionsSQL, list, guildID, list, now.UnixMilli(), guildID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var all []circleSession
	for rows.Next() {
		var (
			x          circleSession
			start, end int64
			channel    sql.NullString
		)
		if err := rows.Scan(&x.ID, &x.circleID, &start, &end, &x.State, &channel); err != nil {
			return err
		}
		x.Start, x.End, x.ChannelID = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC(), channel.String
		all = append(all, x)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(all, func(a, b circleSession) int {
		return cmp.Or(cmp.Compare(a.circleID, b.circleID), a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	for _, x := range all {
		st := out[x.circleID]
		if x.State == circles.SessionSkipped {
			st.Skipped = append(st.Skipped, x.Start)
		} else {
			st.Sessions = append(st.Sessions, x.SessionBrief)
		}
		out[x.circleID] = st
	}
	return nil
}
