package data

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// membershipCols selects a membership as scanMembership reads it.
//
// consent_version is derived from the ledger in the query, never stored
// beside it: the latest event (by time, then ID, as circles.CurrentConsent
// orders them) gives its version if it was consent given and 0 if it was
// withdrawn. position is the 1-based place on the waitlist of the
// membership's own mode, 0 when not waitlisted.
const membershipCols = `m.guild_id, m.circle_id, m.user_id, m.mode, m.status, m.joined_at, m.waitlisted_at,
	m.updated_at, m.reminders, m.removed_by, m.dm_unreachable_at,
	COALESCE((SELECT CASE e.action WHEN 'given' THEN e.guidelines_version ELSE 0 END
		FROM consent_events e WHERE e.circle_id = m.circle_id AND e.user_id = m.user_id
		ORDER BY e.at DESC, e.id DESC LIMIT 1), 0),
	CASE WHEN m.waitlist_seq IS NULL THEN 0 ELSE
		(SELECT COUNT(*) FROM memberships w WHERE w.circle_id = m.circle_id AND w.mode = m.mode
			AND w.waitlist_seq IS NOT NULL AND w.waitlist_seq <= m.waitlist_seq) END`

func scanMembership(r scanner) (m circles.Membership, position int, err error) {
	var joined, waitlisted, updated, unreachable sql.NullInt64
	err = r.Scan(&m.GuildID, &m.CircleID, &m.UserID, &m.Mode, &m.Status, &joined, &waitlisted, &updated,
		&m.Reminders, &m.RemovedBy, &unreachable, &m.ConsentVersion, &position)
	m.JoinedAt, m.WaitlistedAt, m.UpdatedAt = fromMS(joined), fromMS(waitlisted), fromMS(updated)
	m.DMUnreachableAt = fromMS(unreachable)
	return m, position, err
}

func queryMemberships(ctx context.Context, tx *sql.Tx, q string, args ...any) (ms []circles.Membership, pos []int, err error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		m, p, err := scanMembership(rows)
		if err != nil {
			return nil, nil, err
		}
		ms = append(ms, m)
		pos = append(pos, p)
	}
	return ms, pos, rows.Err()
}

// getMembership returns a user's membership in a circle, or nil if they
// never joined it.
func getMembership(ctx context.Context, tx *sql.Tx, circleID int64, userID string) (*circles.Membership, int, error) {
	m, pos, err := scanMembership(tx.QueryRowContext(ctx, `SELECT `+membershipCols+` FROM memberships m
		WHERE m.circle_id = ? AND m.user_id = ?`, circleID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return &m, pos, nil
}

func mustMembership(ctx context.Context, tx *sql.Tx, circleID int64, userID string) (circles.Membership, int, error) {
	m, pos, err := getMembership(ctx, tx, circleID, userID)
	if err == nil && m == nil {
		err = errors.New("membership vanished inside its transaction")
	}
	if err != nil {
		return circles.Membership{}, 0, err
	}
	return *m, pos, nil
}

func seatCounts(ctx context.Context, tx *sql.Tx, circleID int64) (circles.SeatCounts, error) {
	var seats circles.SeatCounts
	err := tx.QueryRowContext(ctx, `SELECT
		COUNT(*) FILTER (WHERE mode = 'member'), COUNT(*) FILTER (WHERE mode = 'listener')
		FROM memberships WHERE circle_id = ? AND status = 'active'`, circleID).Scan(&seats.Members, &seats.Listeners)
	return seats, err
}

// nextWaitlistSeq hands out the next place-in-line number. It only moves
// forward, even across deletions, so waitlist order is commit order.
func nextWaitlistSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `UPDATE sequences SET value = value + 1 WHERE name = 'waitlist' RETURNING value`).Scan(&v)
	return v, err
}

func appendConsent(ctx context.Context, tx *sql.Tx, guildID string, circleID int64, userID string, version int,
	mode circles.Mode, action circles.ConsentAction, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO consent_events (guild_id, circle_id, user_id, guidelines_version, mode, action, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, guildID, circleID, userID, version, string(mode), string(action), at.UnixMilli())
	return err
}

// promote fills free seats from the waitlists, first come first served per
// mode, as circles.SeatsFreed allows. Every change that can free a seat ends
// with it, so a free seat never sits next to a waiting person.
func promote(ctx context.Context, tx *sql.Tx, c circles.Circle, at time.Time) ([]circles.Membership, error) {
	seats, err := seatCounts(ctx, tx, c.ID)
	if err != nil {
		return nil, err
	}
	nm, nl := circles.SeatsFreed(c, seats)
	var promoted []circles.Membership
	for _, w := range []struct {
		mode circles.Mode
		n    int
	}{{circles.ModeMember, nm}, {circles.ModeListener, nl}} {
		if w.n <= 0 {
			continue
		}
		rows, err := tx.QueryContext(ctx, `SELECT user_id FROM memberships
			WHERE circle_id = ? AND mode = ? AND waitlist_seq IS NOT NULL ORDER BY waitlist_seq LIMIT ?`,
			c.ID, string(w.mode), w.n)
		if err != nil {
			return nil, err
		}
		var users []string
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, err
			}
			users = append(users, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, u := range users {
			// joined_at becomes the time they got the seat: that is when they
			// joined the circle proper, and it orders the roster.
			if _, err := tx.ExecContext(ctx, `UPDATE memberships SET status = 'active', joined_at = ?,
				waitlisted_at = NULL, waitlist_seq = NULL, updated_at = ? WHERE circle_id = ? AND user_id = ?`,
				ms(at), ms(at), c.ID, u); err != nil {
				return nil, err
			}
			m, _, err := mustMembership(ctx, tx, c.ID, u)
			if err != nil {
				return nil, err
			}
			promoted = append(promoted, m)
		}
	}
	return promoted, nil
}

// Join records consent and an active or waitlisted membership, as
// circles.DecideJoin rules. The writer's BEGIN IMMEDIATE serializes joins, so
// the seat count it reads is still true when the row is written.
func (s *Store) Join(ctx context.Context, req circles.JoinRequest, at time.Time) (circles.JoinResult, error) {
	var res circles.JoinResult
	if req.GuildID == "" {
		return res, circleNotFound()
	}
	if req.UserID == "" {
		return res, circles.Errorf(circles.EInvalid, "I couldn't tell who is joining.")
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, seats, err := joinCircle(ctx, tx, req, at, &res)
		if err != nil {
			return err
		}
		prev, _, err := getMembership(ctx, tx, c.ID, req.UserID)
		if err != nil {
			return err
		}
		res.Circle, res.Previous = c, prev
		status, err := circles.DecideJoin(c, prev, seats, req)
		if err != nil {
			return err
		}
		wasIn := prev != nil && (prev.Status == circles.StatusActive || prev.Status == circles.StatusWaitlisted)
		res.Switched = wasIn && prev.Mode != req.Mode
		if err := writeJoin(ctx, tx, c, prev, req, status, at); err != nil {
			return err
		}
		// Waitlisted people consent too, so a later promotion needs no new
		// consent unless the guidelines change meanwhile.
		if err := appendConsent(ctx, tx, c.GuildID, c.ID, req.UserID, req.GuidelinesVersion, req.Mode, circles.ConsentGiven, at); err != nil {
			return err
		}
		if req.Locale != "" {
			// Noted here rather than in a transaction of its own: a
			// BEGIN and COMMIT less on the click's path.
			if _, err := seeUserLocale(ctx, tx, c.GuildID, req.UserID, req.Locale); err != nil {
				return err
			}
		}
		if res.Switched && prev.Status == circles.StatusActive {
			// The seat of the old mode is free now.
			if res.Promoted, err = promote(ctx, tx, c, at); err != nil {
				return err
			}
		}
		res.Membership, res.Position, err = mustMembership(ctx, tx, c.ID, req.UserID)
		return err
	})
	return res, err
}

// joinCircleSQL is what Join reads of its circle in one statement: the
// circle, its state as of now (stateCols: seats and sessions) and whether
// any of its closed sessions has a channel. Arguments: now, the circle,
// the guild.
const joinCircleSQL = `SELECT ` + stateCols + `,
	EXISTS (SELECT 1 FROM sessions s WHERE s.circle_id = c.id AND s.state = 'closed'
		AND ifnull(s.channel_id, '') <> ''),
	` + circleCols + ` FROM circles c WHERE c.id = ? AND c.guild_id = ?`

// joinCircle reads the circle a join is for with its seats, and puts its
// sessions into res (JoinResult.Sessions, SessionChannels).
func joinCircle(ctx context.Context, tx *sql.Tx, req circles.JoinRequest, at time.Time, res *circles.JoinResult) (circles.Circle, circles.SeatCounts, error) {
	var (
		st       stateVals
		channels bool
	)
	c, err := scanCircle(prefixScanner{tx.QueryRowContext(ctx, joinCircleSQL, at.UnixMilli(), req.CircleID, req.GuildID),
		append(st.dest(), &channels)})
	if errors.Is(err, sql.ErrNoRows) {
		return c, circles.SeatCounts{}, circleNotFound()
	}
	if err != nil {
		return c, circles.SeatCounts{}, err
	}
	states := map[int64]circles.CircleState{}
	if err := st.decodeState(c.ID, states); err != nil {
		return c, circles.SeatCounts{}, err
	}
	full := states[c.ID]
	res.Sessions = circles.CircleState{Sessions: full.Sessions, Skipped: full.Skipped}
	// Open and planned sessions come with their channels; closed ones
	// only say whether one has a channel (EXISTS), so that no planned
	// session's row is read twice.
	res.SessionChannels = channels || slices.ContainsFunc(full.Sessions, func(b circles.SessionBrief) bool { return b.ChannelID != "" })
	return c, full.Seats, nil
}

// prefixScanner scans a row whose first columns go to lead and the rest to
// what its caller asks for.
type prefixScanner struct {
	r    scanner
	lead []any
}

func (p prefixScanner) Scan(dest ...any) error { return p.r.Scan(append(p.lead, dest...)...) }

// writeJoin writes the membership a join decided on. Renewed consent (the
// same mode and status as before) keeps the seat, or the place in line, as
// it is; a mode switch keeps joined_at; anything else starts afresh.
func writeJoin(ctx context.Context, tx *sql.Tx, c circles.Circle, prev *circles.Membership, req circles.JoinRequest,
	status circles.MemberStatus, at time.Time) error {
	if prev != nil && prev.Mode == req.Mode && prev.Status == status {
		_, err := tx.ExecContext(ctx, `UPDATE memberships SET updated_at = ? WHERE circle_id = ? AND user_id = ?`,
			ms(at), c.ID, req.UserID)
		return err
	}
	joinedAt := at
	if prev != nil && prev.Status == circles.StatusActive && status == circles.StatusActive {
		joinedAt = prev.JoinedAt // a mode switch is not a new membership
	}
	var seq, waitlistedAt any
	if status == circles.StatusWaitlisted {
		n, err := nextWaitlistSeq(ctx, tx)
		if err != nil {
			return err
		}
		seq, waitlistedAt = n, ms(at)
	}
	if prev != nil {
		// Someone who comes back: their row is there, with their earlier
		// choice of reminders. Only what changes is set, so that SQLite
		// leaves alone the indexes of columns that keep their values.
		set, args := `mode = ?, status = ?, joined_at = ?, updated_at = ?`, []any{string(req.Mode), string(status), ms(joinedAt), ms(at)}
		if seq != nil || prev.Status == circles.StatusWaitlisted || !prev.WaitlistedAt.IsZero() {
			set += `, waitlisted_at = ?, waitlist_seq = ?`
			args = append(args, waitlistedAt, seq)
		}
		if prev.RemovedBy != "" {
			set += `, removed_by = ''`
		}
		_, err := tx.ExecContext(ctx, `UPDATE memberships SET `+set+` WHERE circle_id = ? AND user_id = ?`,
			append(args, c.ID, req.UserID)...)
		return err
	}
	// Reminders default to on for a new member.
	_, err := tx.ExecContext(ctx, `INSERT INTO memberships (circle_id, user_id, guild_id, mode, status,
		joined_at, waitlisted_at, waitlist_seq, updated_at, reminders, removed_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, '')
		ON CONFLICT (circle_id, user_id) DO UPDATE SET mode = excluded.mode, status = excluded.status,
			joined_at = excluded.joined_at, waitlisted_at = excluded.waitlisted_at,
			waitlist_seq = excluded.waitlist_seq, updated_at = excluded.updated_at, removed_by = ''`,
		c.ID, req.UserID, c.GuildID, string(req.Mode), string(status), ms(joinedAt), waitlistedAt, seq, ms(at))
	return err
}

// endMembership ends m (status left or removed), optionally writing the
// withdrawal to the ledger, and promotes from the waitlist.
func endMembership(ctx context.Context, tx *sql.Tx, c circles.Circle, m circles.Membership, status circles.MemberStatus,
	by string, withdraw bool, at time.Time) (circles.LeaveResult, error) {
	var res circles.LeaveResult
	if _, err := tx.ExecContext(ctx, `UPDATE memberships SET status = ?, removed_by = ?, waitlisted_at = NULL,
		waitlist_seq = NULL, updated_at = ? WHERE circle_id = ? AND user_id = ?`,
		string(status), by, ms(at), c.ID, m.UserID); err != nil {
		return res, err
	}
	if withdraw {
		// The withdrawal names the version being withdrawn from.
		v := m.ConsentVersion
		if v == 0 {
			v = c.Guidelines.Version
		}
		if err := appendConsent(ctx, tx, c.GuildID, c.ID, m.UserID, v, m.Mode, circles.ConsentWithdrawn, at); err != nil {
			return res, err
		}
	}
	left, _, err := mustMembership(ctx, tx, c.ID, m.UserID)
	if err != nil {
		return res, err
	}
	res.Left = left
	res.Promoted, err = promote(ctx, tx, c, at)
	return res, err
}

// Leave withdraws consent, ends the membership and promotes from the waitlist.
func (s *Store) Leave(ctx context.Context, guildID string, circleID int64, userID string, at time.Time) (circles.LeaveResult, error) {
	return s.end(ctx, guildID, circleID, userID, circles.StatusLeft, "", circles.DecideLeave, at)
}

// Remove is Leave by a facilitator; the member can't rejoin until LiftRemoval.
// Whether by may remove people is the caller's check (it knows the roles).
func (s *Store) Remove(ctx context.Context, guildID string, circleID int64, userID, by string, at time.Time) (circles.LeaveResult, error) {
	return s.end(ctx, guildID, circleID, userID, circles.StatusRemoved, by, circles.DecideRemove, at)
}

// end ends one membership with status after decide allows it.
func (s *Store) end(ctx context.Context, guildID string, circleID int64, userID string, status circles.MemberStatus, by string,
	decide func(circles.Circle, *circles.Membership) error, at time.Time) (circles.LeaveResult, error) {
	var res circles.LeaveResult
	if guildID == "" {
		return res, circleNotFound()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCircle(ctx, tx, guildID, circleID)
		if err != nil {
			return err
		}
		m, _, err := getMembership(ctx, tx, c.ID, userID)
		if err != nil {
			return err
		}
		if err := decide(c, m); err != nil {
			return err
		}
		res, err = endMembership(ctx, tx, c, *m, status, by, true, at)
		return err
	})
	return res, err
}

// LiftRemoval lets a removed member join again. Their membership becomes
// "left": lifting the removal is not the same as taking them back in.
func (s *Store) LiftRemoval(ctx context.Context, guildID string, circleID int64, userID string, at time.Time) error {
	if guildID == "" {
		return circleNotFound()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCircle(ctx, tx, guildID, circleID)
		if err != nil {
			return err
		}
		if err := c.Editable(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE memberships SET status = 'left', removed_by = '', updated_at = ?
			WHERE circle_id = ? AND user_id = ? AND status = 'removed'`, ms(at), c.ID, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return circles.Errorf(circles.ENotFound, "That person isn't removed from %s, so there's no removal to lift. /circle roster lists removed people under \"Removed\".", c.EscapedName())
		}
		return nil
	})
}

// Reconsent records consent to the circle's current guidelines. Consenting
// again to the version already consented to changes nothing (a double click).
func (s *Store) Reconsent(ctx context.Context, guildID string, circleID int64, userID string, version int, at time.Time) (circles.Membership, error) {
	var m circles.Membership
	if guildID == "" {
		return m, circleNotFound()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCircle(ctx, tx, guildID, circleID)
		if err != nil {
			return err
		}
		prev, _, err := getMembership(ctx, tx, c.ID, userID)
		if err != nil {
			return err
		}
		if prev == nil || (prev.Status != circles.StatusActive && prev.Status != circles.StatusWaitlisted) {
			return circles.Errorf(circles.ENotFound, "You are not in %s. Use /join to join it.", c.EscapedName())
		}
		if version != c.Guidelines.Version {
			return circles.Errorf(circles.EConflict, "The guidelines of %s have changed since the version you agreed to (%d; the current one is %d). Please read the current guidelines and agree again.", c.EscapedName(), version, c.Guidelines.Version)
		}
		if prev.ConsentVersion != version {
			if err := appendConsent(ctx, tx, c.GuildID, c.ID, userID, version, prev.Mode, circles.ConsentGiven, at); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE memberships SET updated_at = ? WHERE circle_id = ? AND user_id = ?`,
				ms(at), c.ID, userID); err != nil {
				return err
			}
		}
		m, _, err = mustMembership(ctx, tx, c.ID, userID)
		return err
	})
	return m, err
}

// Membership returns a user's membership in a circle of a guild, any status.
func (s *Store) Membership(ctx context.Context, guildID string, circleID int64, userID string) (circles.Membership, error) {
	var m circles.Membership
	if guildID == "" {
		return m, circleNotFound()
	}
	err := s.read(ctx, func(tx *sql.Tx) error {
		c, err := getCircle(ctx, tx, guildID, circleID)
		if err != nil {
			return err
		}
		p, _, err := getMembership(ctx, tx, c.ID, userID)
		if err != nil {
			return err
		}
		if p == nil {
			return circles.Errorf(circles.ENotFound, "I couldn't find a membership in %s for that person.", c.EscapedName())
		}
		m = *p
		return nil
	})
	return m, err
}

// Memberships lists a circle's active members (by when they got their seat)
// and then its waitlist (in order).
func (s *Store) Memberships(ctx context.Context, circleID int64) ([]circles.Membership, error) {
	var out []circles.Membership
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, _, err = queryMemberships(ctx, tx, `SELECT `+membershipCols+` FROM memberships m
			WHERE m.circle_id = ? AND m.status IN ('active', 'waitlisted')
			ORDER BY m.status = 'waitlisted', m.waitlist_seq, m.joined_at, m.user_id`, circleID)
		return err
	})
	return out, err
}

// Roster lists a circle's memberships for its facilitators: active first,
// then the waitlist in order, then removed. People who left are not listed.
func (s *Store) Roster(ctx context.Context, guildID string, circleID int64) ([]circles.RosterEntry, error) {
	var out []circles.RosterEntry
	if guildID == "" {
		return out, circleNotFound()
	}
	err := s.read(ctx, func(tx *sql.Tx) error {
		c, err := getCircle(ctx, tx, guildID, circleID)
		if err != nil {
			return err
		}
		ms, pos, err := queryMemberships(ctx, tx, `SELECT `+membershipCols+` FROM memberships m
			WHERE m.circle_id = ? AND m.status IN ('active', 'waitlisted', 'removed')
			ORDER BY CASE m.status WHEN 'active' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END,
				m.waitlist_seq, m.joined_at, m.updated_at, m.user_id`, c.ID)
		if err != nil {
			return err
		}
		for i, m := range ms {
			out = append(out, circles.RosterEntry{
				Membership:     m,
				ConsentCurrent: m.ConsentVersion == c.Guidelines.Version,
				Position:       pos[i],
			})
		}
		return nil
	})
	return out, err
}

// UserCircles lists the circles a user is active or waitlisted in, by circle
// name, leaving out archived ones (they meet no more; /privacy export still
// shows those memberships). An empty guildID lists them across servers (a
// /mycircles in DMs).
func (s *Store) UserCircles(ctx context.Context, guildID, userID string) ([]circles.UserCircle, error) {
	var out []circles.UserCircle
	err := s.read(ctx, func(tx *sql.Tx) error {
		ms, pos, err := queryMemberships(ctx, tx, `SELECT `+membershipCols+` FROM memberships m
			JOIN circles c ON c.id = m.circle_id
			WHERE m.user_id = ? AND (? = '' OR m.guild_id = ?) AND m.status IN ('active', 'waitlisted') AND c.archived = 0
			ORDER BY c.name_fold, c.id`, userID, guildID, guildID)
		if err != nil || len(ms) == 0 {
			return err
		}
		// Their circles in one more statement, not one each.
		ids := make([]int64, len(ms))
		for i, m := range ms {
			ids[i] = m.CircleID
		}
		byID, err := circlesByID(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i, m := range ms {
			c, ok := byID[m.CircleID]
			if !ok {
				return errors.New("circle of a membership vanished inside its transaction")
			}
			out = append(out, circles.UserCircle{Circle: c, Membership: m, Position: pos[i]})
		}
		return nil
	})
	return out, err
}

// SetReminders turns a member's reminder DMs on or off.
func (s *Store) SetReminders(ctx context.Context, guildID string, circleID int64, userID string, on bool, at time.Time) error {
	if guildID == "" {
		return circleNotFound()
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		c, err := getCircle(ctx, tx, guildID, circleID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE memberships SET reminders = ?, updated_at = ?
			WHERE circle_id = ? AND user_id = ? AND status IN ('active', 'waitlisted')`, on, ms(at), c.ID, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return circles.Errorf(circles.ENotFound, "You're not in %s any more, so there are no reminders to change. Run /mycircles again to see your circles, or /join %s to join it.", c.EscapedName(), c.EscapedName())
		}
		return nil
	})
}

// LeaveGuild ends every membership a user holds in a guild, as Leave does for
// each, in one transaction.
func (s *Store) LeaveGuild(ctx context.Context, guildID, userID string, at time.Time) ([]circles.LeaveResult, error) {
	var out []circles.LeaveResult
	if guildID == "" {
		return nil, circleNotFound()
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = leaveAll(ctx, tx, guildID, userID, true, at)
		return err
	})
	return out, err
}

// GuildMemberUserIDs lists the active and waitlisted members of a guild's
// circles and the facilitators of those not archived, sorted, once each.
func (s *Store) GuildMemberUserIDs(ctx context.Context, guildID string) ([]string, error) {
	return s.queryStrings(ctx, guildMemberUserIDsSQL, guildID, guildID)
}

const guildMemberUserIDsSQL = `SELECT user_id FROM memberships WHERE guild_id = ? AND status IN ('active', 'waitlisted')
	UNION SELECT f.user_id FROM circle_facilitators f JOIN circles c ON c.id = f.circle_id
	WHERE c.guild_id = ? AND c.archived = 0
	ORDER BY 1`

// leaveAll ends the user's active and waitlisted memberships in guildID (all
// guilds when empty), by circle ID.
func leaveAll(ctx context.Context, tx *sql.Tx, guildID, userID string, withdraw bool, at time.Time) ([]circles.LeaveResult, error) {
	ms, _, err := queryMemberships(ctx, tx, `SELECT `+membershipCols+` FROM memberships m
		WHERE m.user_id = ? AND (? = '' OR m.guild_id = ?) AND m.status IN ('active', 'waitlisted')
		ORDER BY m.circle_id`, userID, guildID, guildID)
	if err != nil {
		return nil, err
	}
	var out []circles.LeaveResult
	for _, m := range ms {
		c, err := getCircle(ctx, tx, "", m.CircleID)
		if err != nil {
			return nil, err
		}
		res, err := endMembership(ctx, tx, c, m, circles.StatusLeft, "", withdraw, at)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// ConsentLedger returns a user's consent events in a circle, oldest first.
func (s *Store) ConsentLedger(ctx context.Context, circleID int64, userID string) ([]circles.ConsentEvent, error) {
	var out []circles.ConsentEvent
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = queryConsents(ctx, tx, `WHERE circle_id = ? AND user_id = ?`, circleID, userID)
		return err
	})
	return out, err
}

func queryConsents(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]circles.ConsentEvent, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, guild_id, circle_id, user_id, guidelines_version, mode, action, at
		FROM consent_events `+where+` ORDER BY at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []circles.ConsentEvent
	for rows.Next() {
		var e circles.ConsentEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.GuildID, &e.CircleID, &e.UserID, &e.GuidelinesVersion, &e.Mode, &e.Action, &at); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
