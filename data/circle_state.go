package data

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// What listings read of circles (CirclePage, CircleStates) is read in one
// statement, whatever the number of circles: each circle's state is a few
// correlated subqueries of its row, each an index search. Most of what a
// statement costs through database/sql is its statement and its values,
// not SQLite's searching, so:
//
//   - seats are counted from memberships_seats alone (covering; members
//     who left long ago are never read);
//   - a circle's open and planned sessions, and its skipped ones from now
//     on, come as one text each (group_concat), which Go parses and sorts
//     (no ORDER BY: it would cost a sorter per circle):
//     their fields are integers, a state name and a snowflake, none of
//     which holds the separators. They are searched by circle and state
//     (sessions_circle_state, migration listing_indexes), never by circle
//     alone: a circle's history grows by a session a week for as long as
//     it meets, while its open, planned and future skipped sessions stay a
//     handful (TestListingQueriesUseIndexes);
//   - a page of circles reads only the columns a listing shows.
//
// Each query's one `?` of now comes first among its arguments: the state
// columns come before FROM.

// stateCols are the columns of the state of circle c as of now (one `?`,
// in milliseconds); scanState reads them.
const stateCols = `
	(SELECT COUNT(*) FROM memberships m WHERE m.circle_id = c.id AND m.status = 'active' AND m.mode = 'member'),
	(SELECT COUNT(*) FROM memberships m WHERE m.circle_id = c.id AND m.status = 'active' AND m.mode = 'listener'),
	(SELECT COUNT(*) FROM memberships m WHERE m.circle_id = c.id AND m.status = 'waitlisted'),
	(SELECT group_concat(s.id || ',' || s.start_at || ',' || s.end_at || ',' || s.state || ',' || ifnull(s.channel_id, ''), ';')
		FROM sessions s WHERE s.circle_id = c.id AND s.state IN ('open', 'planned')),
	(SELECT group_concat(s.start_at, ',')
		FROM sessions s WHERE s.circle_id = c.id AND s.state = 'skipped' AND s.start_at >= ?)`

// circleStatesSQL reads the states of the circles of a guild whose IDs
// come as one JSON array (one statement text for any number); CROSS JOIN
// makes SQLite look each one up. Arguments: now, the IDs, the guild.
const circleStatesSQL = `SELECT c.id,` + stateCols + `
	FROM json_each(?) j CROSS JOIN circles c ON c.id = j.value AND c.guild_id = ?`

// listingCols are the columns of a circle a listing shows (CirclePage);
// scanListed reads them.
const listingCols = `c.id, c.guild_id, c.name, c.kind, c.topic, c.capacity, c.listener_cap, c.listeners_allowed,
	c.guidelines_version, c.weekday, c.hour, c.minute, c.cron, c.timezone, c.duration_minutes,
	c.facilitator_gate, c.postpone_without_facilitator, c.archived,
	(SELECT json_group_array(user_id) FROM (SELECT user_id FROM circle_facilitators f
		WHERE f.circle_id = c.id ORDER BY f.position))`

// circlePageQuery is CirclePage's statement: the page's circles, the
// listing's size (an uncorrelated subquery, which SQLite runs once) and
// each shown circle's state.
func circlePageQuery(guildID string, f circles.CircleFilter, now time.Time) (string, []any) {
	count, countArgs := circlesWhere(`SELECT COUNT(*)`, guildID, f)
	list, listArgs := circlesQuery(guildID, f)
	q := strings.Replace(list, `SELECT `+circleCols, `SELECT `+listingCols+`, (`+count+`),`+stateCols, 1)
	args := append(append(countArgs, now.UnixMilli()), listArgs...)
	return q, args
}

// CirclePage reads one page of the guild's circles, with the listing's
// size and the shown circles' states, in one statement; or, while the
// database hasn't changed since this process read it, not at all
// (pageCache).
func (s *Store) CirclePage(ctx context.Context, guildID string, f circles.CircleFilter, now time.Time) (circles.CirclePage, error) {
	key := pageKey{guildID: guildID, filter: f}
	cached, ok, version, cerr := s.pages.get(ctx, key, now)
	if ok {
		return cached, nil
	}
	page, err := s.readCirclePage(ctx, guildID, f, now)
	if err == nil && cerr == nil {
		s.pages.put(key, version, now, page)
	}
	return page, err
}

// readCirclePage is CirclePage from the database.
func (s *Store) readCirclePage(ctx context.Context, guildID string, f circles.CircleFilter, now time.Time) (circles.CirclePage, error) {
	page := circles.CirclePage{States: map[int64]circles.CircleState{}}
	q, args := circlePageQuery(guildID, f, now)
	err := s.read(ctx, func(tx *sql.Tx) error {
		return queryStates(ctx, tx, page.States, func(c *circles.Circle, st *stateVals) []any {
			return append(listedDest(c, st), &page.Total)
		}, func(c circles.Circle) { page.Circles = append(page.Circles, c) }, q, args...)
	})
	if err != nil {
		return circles.CirclePage{}, err
	}
	return page, nil
}

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
		return queryStates(ctx, tx, out, func(c *circles.Circle, _ *stateVals) []any { return []any{&c.ID} },
			func(circles.Circle) {}, circleStatesSQL, now.UnixMilli(), string(list), guildID)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// queryStates runs q, whose rows are the columns lead names followed by
// stateCols, adds each row's state to out and hands its circle to each.
func queryStates(ctx context.Context, tx *sql.Tx, out map[int64]circles.CircleState,
	lead func(*circles.Circle, *stateVals) []any, each func(circles.Circle), q string, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c  circles.Circle
			st stateVals
		)
		if err := rows.Scan(append(lead(&c, &st), st.dest()...)...); err != nil {
			return err
		}
		if err := st.decode(&c, out); err != nil {
			return err
		}
		each(c)
	}
	return rows.Err()
}

// listedDest are the scan destinations of listingCols; the facilitators
// land in st, for decode.
func listedDest(c *circles.Circle, st *stateVals) []any {
	return []any{&c.ID, &c.GuildID, &c.Name, &c.Kind, &c.Topic, &c.Capacity, &c.ListenerCap, &c.ListenersAllowed,
		&c.Guidelines.Version, &c.Schedule.Weekday, &c.Schedule.Hour, &c.Schedule.Minute, &c.Schedule.Cron,
		&c.Schedule.TimeZone, &st.durationMin, &c.FacilitatorGate, &c.PostponeWithoutFacilitator, &c.Archived,
		&st.facilitators}
}

// stateVals holds stateCols as read, and a listed circle's raw columns.
type stateVals struct {
	members, listeners, waitlist int
	sessions, skipped            sql.NullString
	durationMin                  int64
	facilitators                 sql.NullString
}

func (v *stateVals) dest() []any {
	return []any{&v.members, &v.listeners, &v.waitlist, &v.sessions, &v.skipped}
}

// decode completes c from the raw columns (when it was listed) and adds
// its state to out unless there is nothing to report.
func (v *stateVals) decode(c *circles.Circle, out map[int64]circles.CircleState) error {
	c.Schedule.Duration = time.Duration(v.durationMin) * time.Minute
	if v.facilitators.Valid {
		if err := json.Unmarshal([]byte(v.facilitators.String), &c.Facilitators); err != nil {
			return fmt.Errorf("circle %d facilitators: %w", c.ID, err)
		}
	}
	return v.decodeState(c.ID, out)
}

// decodeState adds the state of circle id to out unless there is nothing
// to report.
func (v *stateVals) decodeState(id int64, out map[int64]circles.CircleState) error {
	st := circles.CircleState{Seats: circles.SeatCounts{Members: v.members, Listeners: v.listeners}, Waitlist: v.waitlist}
	var err error
	if st.Sessions, err = parseBriefs(v.sessions.String); err != nil {
		return fmt.Errorf("circle %d sessions: %w", id, err)
	}
	slices.SortFunc(st.Sessions, func(a, b circles.SessionBrief) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	if st.Skipped, err = parseStarts(v.skipped.String); err != nil {
		return fmt.Errorf("circle %d skipped sessions: %w", id, err)
	}
	slices.SortFunc(st.Skipped, time.Time.Compare)
	if st.Seats != (circles.SeatCounts{}) || st.Waitlist > 0 || len(st.Sessions) > 0 || len(st.Skipped) > 0 {
		out[id] = st
	}
	return nil
}

// parseBriefs reads stateCols' sessions: "id,start,end,state,channel"
// joined by ";", times in Unix milliseconds, channel empty for none.
func parseBriefs(s string) ([]circles.SessionBrief, error) {
	if s == "" {
		return nil, nil
	}
	var out []circles.SessionBrief
	for item := range strings.SplitSeq(s, ";") {
		f := strings.Split(item, ",")
		if len(f) != 5 {
			return nil, fmt.Errorf("bad session %q", item)
		}
		id, err1 := strconv.ParseInt(f[0], 10, 64)
		start, err2 := strconv.ParseInt(f[1], 10, 64)
		end, err3 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("bad session %q", item)
		}
		out = append(out, circles.SessionBrief{ID: id, Start: time.UnixMilli(start).UTC(), End: time.UnixMilli(end).UTC(),
			State: circles.SessionState(f[3]), ChannelID: f[4]})
	}
	return out, nil
}

// parseStarts reads stateCols' skipped starts: Unix milliseconds joined by
// ",".
func parseStarts(s string) ([]time.Time, error) {
	if s == "" {
		return nil, nil
	}
	var out []time.Time
	for item := range strings.SplitSeq(s, ",") {
		ms, err := strconv.ParseInt(item, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad start %q", item)
		}
		out = append(out, time.UnixMilli(ms).UTC())
	}
	return out, nil
}
