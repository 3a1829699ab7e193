package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/circlebot/circlebot/circles"
)

const sessionCols = `s.id, s.guild_id, s.circle_id, s.start_at, s.end_at, s.state, s.shift, s.channel_id,
	s.guidelines_message_id, s.welcome_posted, s.prompts_posted, s.warning_sent, s.reminders_sent,
	s.shift_notice_sent, s.facilitator_alerted, s.gate_message_id, s.guidelines_version, s.reconsent_asked,
	s.access_dirty, s.guidelines_pinned, s.opening_pending, s.channel_lost, s.channel_requested,
	s.event_id, s.event_requested, s.opened_at, s.closed_at, s.delete_at, s.due_at`

func scanSession(r scanner) (circles.Session, error) {
	var (
		s                             circles.Session
		start, end                    int64
		channel                       sql.NullString
		opened, closed, deleteAt, due sql.NullInt64
	)
	err := r.Scan(&s.ID, &s.GuildID, &s.CircleID, &start, &end, &s.State, &s.Shift, &channel,
		&s.GuidelinesMessageID, &s.WelcomePosted, &s.PromptsPosted, &s.WarningSent, &s.RemindersSent,
		&s.ShiftNoticeSent, &s.FacilitatorAlerted, &s.GateMessageID, &s.GuidelinesVersion, &s.ReconsentAsked,
		&s.AccessDirty, &s.GuidelinesPinned, &s.OpeningPending, &s.ChannelLost, &s.ChannelRequested,
		&s.EventID, &s.EventRequested, &opened, &closed, &deleteAt, &due)
	s.Start, s.End = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC()
	s.ChannelID = channel.String
	s.OpenedAt, s.ClosedAt, s.DeleteAt, s.DueAt = fromMS(opened), fromMS(closed), fromMS(deleteAt), fromMS(due)
	return s, err
}

func querySessions(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]circles.Session, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []circles.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func sessionNotFound() error {
	return circles.Errorf(circles.ENotFound, "I couldn't find that session: it may have been cancelled, or replaced by a schedule change. /mycircles shows your next sessions.")
}

func getSession(ctx context.Context, tx *sql.Tx, id int64) (circles.Session, error) {
	s, err := scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, sessionNotFound()
	}
	return s, err
}

func validSession(s circles.Session) error {
	switch s.State {
	case circles.SessionPlanned, circles.SessionOpen, circles.SessionClosed,
		circles.SessionDeleted, circles.SessionSkipped, circles.SessionMissed:
	default:
		return circles.Internal(errors.New("session state " + string(s.State) + " is not a known state"))
	}
	if s.Start.IsZero() || s.End.Before(s.Start) {
		return circles.Internal(errors.New("session needs a start and an end not before it"))
	}
	return nil
}

// EnsureSession inserts a session unless one exists for the same circle and
// start; either way it returns the stored row, and created tells which. The
// session's guild is the circle's: a GuildID that disagrees is not found.
func (s *Store) EnsureSession(ctx context.Context, in circles.Session) (circles.Session, bool, error) {
	out, created, err := s.EnsureSessions(ctx, []circles.Session{in})
	if err != nil {
		return circles.Session{}, false, err
	}
	return out[0], created[0], nil
}

// EnsureSessions is EnsureSession for many sessions in one transaction,
// all or none, with statements prepared once: the first start's planning
// of every circle. out and created are in the order of in.
func (s *Store) EnsureSessions(ctx context.Context, in []circles.Session) (out []circles.Session, created []bool, err error) {
	in = slices.Clone(in)
	for i := range in {
		if in[i].State == "" {
			in[i].State = circles.SessionPlanned
		}
		if err := validSession(in[i]); err != nil {
			return nil, nil, err
		}
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		out, created = make([]circles.Session, 0, len(in)), make([]bool, 0, len(in))
		ins, err := prepareEnsure(ctx, tx)
		if err != nil {
			return err
		}
		defer ins.close()
		for _, x := range in {
			got, ok, err := ins.ensure(ctx, x)
			if err != nil {
				return err
			}
			out, created = append(out, got), append(created, ok)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, created, nil
}

// ensureStmts are EnsureSessions' statements, prepared once per
// transaction.
type ensureStmts struct{ guild, insert, get *sql.Stmt }

func prepareEnsure(ctx context.Context, tx *sql.Tx) (*ensureStmts, error) {
	var e ensureStmts
	var err error
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&e.guild, `SELECT guild_id FROM circles WHERE id = ?`},
		{&e.insert, `INSERT INTO sessions (guild_id, circle_id, start_at, end_at, state, shift,
			channel_id, guidelines_message_id, welcome_posted, prompts_posted, warning_sent, reminders_sent,
			shift_notice_sent, facilitator_alerted, gate_message_id, guidelines_version, reconsent_asked,
			access_dirty, guidelines_pinned, opening_pending, channel_lost, channel_requested, opened_at, closed_at, delete_at, due_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (circle_id, start_at) DO NOTHING`},
		{&e.get, `SELECT ` + sessionCols + ` FROM sessions s WHERE s.circle_id = ? AND s.start_at = ?`},
	} {
		if *p.st, err = tx.PrepareContext(ctx, p.q); err != nil {
			e.close()
			return nil, err
		}
	}
	return &e, nil
}

func (e *ensureStmts) close() {
	for _, st := range []*sql.Stmt{e.guild, e.insert, e.get} {
		if st != nil {
			st.Close()
		}
	}
}

func (e *ensureStmts) ensure(ctx context.Context, in circles.Session) (circles.Session, bool, error) {
	var guildID string
	err := e.guild.QueryRowContext(ctx, in.CircleID).Scan(&guildID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && in.GuildID != "" && in.GuildID != guildID) {
		return circles.Session{}, false, circleNotFound()
	}
	if err != nil {
		return circles.Session{}, false, err
	}
	in.GuildID = guildID
	res, err := e.insert.ExecContext(ctx,
		in.GuildID, in.CircleID, in.Start.UnixMilli(), in.End.UnixMilli(), string(in.State), in.Shift,
		nullString(in.ChannelID), in.GuidelinesMessageID, in.WelcomePosted, in.PromptsPosted, in.WarningSent,
		in.RemindersSent, in.ShiftNoticeSent, in.FacilitatorAlerted, in.GateMessageID, in.GuidelinesVersion,
		in.ReconsentAsked, in.AccessDirty, in.GuidelinesPinned, in.OpeningPending, in.ChannelLost, in.ChannelRequested,
		ms(in.OpenedAt), ms(in.ClosedAt), ms(in.DeleteAt), ms(in.DueAt))
	if err != nil {
		return circles.Session{}, false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return circles.Session{}, false, err
	}
	out, err := scanSession(e.get.QueryRowContext(ctx, in.CircleID, in.Start.UnixMilli()))
	return out, n == 1, err
}

// Session returns a session by ID.
func (s *Store) Session(ctx context.Context, id int64) (circles.Session, error) {
	var out circles.Session
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = getSession(ctx, tx, id)
		return err
	})
	return out, err
}

// UpdateSession loads a session, applies fn and saves it. fn cannot move the
// session to another circle or guild; moving its start onto another session
// of the same circle is a conflict.
func (s *Store) UpdateSession(ctx context.Context, id int64, fn func(*circles.Session) error) (circles.Session, error) {
	var out circles.Session
	err := s.write(ctx, func(tx *sql.Tx) error {
		orig, err := getSession(ctx, tx, id)
		if err != nil {
			return err
		}
		out = orig
		if err := fn(&out); err != nil {
			return callerError{err}
		}
		out.ID, out.GuildID, out.CircleID = orig.ID, orig.GuildID, orig.CircleID
		if err := validSession(out); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET start_at = ?, end_at = ?, state = ?, shift = ?,
			channel_id = ?, guidelines_message_id = ?, welcome_posted = ?, prompts_posted = ?, warning_sent = ?,
			reminders_sent = ?, shift_notice_sent = ?, facilitator_alerted = ?, gate_message_id = ?,
			guidelines_version = ?, reconsent_asked = ?, access_dirty = ?, guidelines_pinned = ?,
			opening_pending = ?, channel_lost = ?, channel_requested = ?, event_id = ?, event_requested = ?,
			opened_at = ?, closed_at = ?, delete_at = ?, due_at = ?
			WHERE id = ?`,
			out.Start.UnixMilli(), out.End.UnixMilli(), string(out.State), out.Shift, nullString(out.ChannelID),
			out.GuidelinesMessageID, out.WelcomePosted, out.PromptsPosted, out.WarningSent, out.RemindersSent,
			out.ShiftNoticeSent, out.FacilitatorAlerted, out.GateMessageID, out.GuidelinesVersion,
			out.ReconsentAsked, out.AccessDirty, out.GuidelinesPinned, out.OpeningPending, out.ChannelLost, out.ChannelRequested,
			out.EventID, out.EventRequested, ms(out.OpenedAt), ms(out.ClosedAt), ms(out.DeleteAt), ms(out.DueAt), out.ID)
		if isUnique(err, "sessions.circle_id") {
			return circles.Errorf(circles.EConflict, "This circle already has a session at that time.")
		}
		if err != nil {
			return err
		}
		out, err = getSession(ctx, tx, id)
		return err
	})
	return out, err
}

// Sessions lists sessions by start time.
func (s *Store) Sessions(ctx context.Context, f circles.SessionFilter) ([]circles.Session, error) {
	var (
		where []string
		args  []any
	)
	if f.GuildID != "" {
		where = append(where, `s.guild_id = ?`)
		args = append(args, f.GuildID)
	}
	if f.CircleID != 0 {
		where = append(where, `s.circle_id = ?`)
		args = append(args, f.CircleID)
	}
	if len(f.States) > 0 {
		where = append(where, `s.state IN (?`+strings.Repeat(`, ?`, len(f.States)-1)+`)`)
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if !f.From.IsZero() {
		where = append(where, `s.start_at >= ?`)
		args = append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where = append(where, `s.start_at < ?`)
		args = append(args, f.To.UnixMilli())
	}
	q := `SELECT ` + sessionCols + ` FROM sessions s`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY s.start_at, s.id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	var out []circles.Session
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = querySessions(ctx, tx, q, args...)
		return err
	})
	return out, err
}

// dueSessionsSQL and nextDueSQL must be answered from the partial index
// sessions_due; the "due_at IS NOT NULL" terms are what let SQLite use it.
const (
	dueSessionsSQL = `SELECT ` + sessionCols + ` FROM sessions s
		WHERE s.due_at IS NOT NULL AND s.due_at <= ?%s ORDER BY s.due_at, s.id LIMIT ?`
	nextDueSQL = `SELECT MIN(due_at) FROM sessions WHERE due_at IS NOT NULL`
	// nextDueInSQL is nextDueSQL for some shards. Searching sessions_due
	// for the first pending session of a guild in the shards would read
	// every other shard's pending session when the shards have none (a
	// quiet shard: a scan on every wake), so it looks at the first
	// nextDueWalk only: the earliest of them in the shards if there is
	// one; else, when there are more, the last one's time — nothing of the
	// shards is due before it, and the scheduler looks again then.
	// (The subquery yields rows as the outer query asks for them, so the
	// walk stops at the shards' first; the last one's time is read from
	// the index alone.)
	nextDueInSQL = `SELECT s.due_at FROM
		(SELECT due_at, guild_id FROM sessions WHERE due_at IS NOT NULL ORDER BY due_at LIMIT ?) s WHERE %s LIMIT 1`
	nextDueHorizonSQL = `SELECT due_at FROM sessions WHERE due_at IS NOT NULL ORDER BY due_at LIMIT 1 OFFSET ?`
	nextDueWalk       = 256
)

// shardTerm is the SQL term (and its arguments) that keeps to the rows
// whose guild ID, in column col, is of a guild in shards: circles.ShardOf
// in SQL. Guild IDs are TEXT, and CAST reads a snowflake whole (they fit
// in SQLite's signed 64 bits) and anything else as 0, as ShardOf does. ""
// for every guild. The term is checked row by row on what the index range
// yields, so the due queries stay on sessions_due (and CirclesToPlan on
// circle_plans_next).
func shardTerm(col string, shards circles.Shards) (string, []any) {
	if shards.All() {
		return "", nil
	}
	args := make([]any, 0, 1+len(shards.IDs))
	args = append(args, shards.Count)
	for _, id := range shards.IDs {
		args = append(args, id)
	}
	marks := strings.Repeat(", ?", len(shards.IDs))[2:]
	return `((CAST(` + col + ` AS INTEGER) >> 22) % ?) IN (` + marks + `)`, args
}

// DueSessions returns sessions of guilds in shards whose DueAt is set and
// not after t, earliest first; limit <= 0 means all.
func (s *Store) DueSessions(ctx context.Context, t time.Time, limit int, shards circles.Shards) ([]circles.Session, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	term, targs := shardTerm("s.guild_id", shards)
	if term != "" {
		term = " AND " + term
	}
	args := append(append([]any{t.UnixMilli()}, targs...), limit)
	q := fmt.Sprintf(dueSessionsSQL, term)
	var out []circles.Session
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = querySessions(ctx, tx, q, args...)
		return err
	})
	return out, err
}

// NextDue returns the earliest DueAt of any session of a guild in shards,
// or for some shards, when their first is far down the list of pending
// sessions, a time before it (nextDueInSQL): a time to look again.
func (s *Store) NextDue(ctx context.Context, shards circles.Shards) (time.Time, bool, error) {
	term, targs := shardTerm("s.guild_id", shards)
	var v sql.NullInt64
	err := s.read(ctx, func(tx *sql.Tx) error {
		if term == "" {
			return tx.QueryRowContext(ctx, nextDueSQL).Scan(&v)
		}
		err := tx.QueryRowContext(ctx, fmt.Sprintf(nextDueInSQL, term), append([]any{nextDueWalk}, targs...)...).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			// None of the shards' among the first: look again at the
			// last one's time, if there are that many.
			err = tx.QueryRowContext(ctx, nextDueHorizonSQL, nextDueWalk-1).Scan(&v)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || !v.Valid {
		return time.Time{}, false, err
	}
	return fromMS(v), true, nil
}

// SessionByChannel finds the session that owns a channel (the newest, should
// a channel ID ever be reused).
func (s *Store) SessionByChannel(ctx context.Context, channelID string) (circles.Session, error) {
	var out circles.Session
	if channelID == "" {
		return out, circles.Errorf(circles.ENotFound, "This channel isn't a circle session.")
	}
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = scanSession(tx.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions s
			WHERE s.channel_id = ? ORDER BY s.id DESC LIMIT 1`, channelID))
		if errors.Is(err, sql.ErrNoRows) {
			return circles.Errorf(circles.ENotFound, "This channel isn't a circle session.")
		}
		return err
	})
	return out, err
}

// SetRSVP records an answer for a session of the guild. Only active members
// of the session's circle and its facilitators may answer, and only while
// the session is still ahead or running.
func (s *Store) SetRSVP(ctx context.Context, guildID string, sessionID int64, userID string, status circles.RSVPStatus, at time.Time) (circles.RSVP, error) {
	var r circles.RSVP
	if !status.Valid() {
		return r, circles.Errorf(circles.EInvalid, "Please answer going or skip.")
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		sess, err := getSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		if guildID == "" || sess.GuildID != guildID {
			return sessionNotFound()
		}
		c, err := getCircle(ctx, tx, guildID, sess.CircleID)
		if err != nil {
			return err
		}
		if !c.IsFacilitator(userID) {
			m, _, err := getMembership(ctx, tx, c.ID, userID)
			if err != nil {
				return err
			}
			if m == nil || m.Status != circles.StatusActive {
				return circles.Errorf(circles.EForbidden, "Only members of %s can answer for its sessions.", c.EscapedName())
			}
		}
		if sess.State != circles.SessionPlanned && sess.State != circles.SessionOpen {
			return circles.Errorf(circles.EConflict, "That session of %s is over, so it no longer takes answers.", c.EscapedName())
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rsvps (session_id, user_id, guild_id, circle_id, status, at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (session_id, user_id) DO UPDATE SET status = excluded.status, at = excluded.at`,
			sess.ID, userID, sess.GuildID, sess.CircleID, string(status), at.UnixMilli()); err != nil {
			return err
		}
		r = circles.RSVP{GuildID: sess.GuildID, SessionID: sess.ID, CircleID: sess.CircleID, UserID: userID,
			Status: status, At: roundMS(at)}
		return nil
	})
	return r, err
}

// RSVPs lists the answers for a session, oldest first.
func (s *Store) RSVPs(ctx context.Context, sessionID int64) ([]circles.RSVP, error) {
	var out []circles.RSVP
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = queryRSVPs(ctx, tx, `WHERE session_id = ?`, sessionID)
		return err
	})
	return out, err
}

func queryRSVPs(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]circles.RSVP, error) {
	rows, err := tx.QueryContext(ctx, `SELECT guild_id, session_id, circle_id, user_id, status, at
		FROM rsvps `+where+` ORDER BY at, session_id, user_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []circles.RSVP
	for rows.Next() {
		var r circles.RSVP
		var at int64
		if err := rows.Scan(&r.GuildID, &r.SessionID, &r.CircleID, &r.UserID, &r.Status, &at); err != nil {
			return nil, err
		}
		r.At = time.UnixMilli(at).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeletePlannedSession removes a session that is planned and has not begun
// to open (no channel, never opened), with its RSVPs: an occurrence a
// schedule change dropped. deleted is false, and nothing changes, for any
// other session or one that is already gone. The scheduler calls it
// (schedule.Scheduler.ScheduleChanged).
func (s *Store) DeletePlannedSession(ctx context.Context, id int64) (deleted bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions
			WHERE id = ? AND state = ? AND channel_id IS NULL AND channel_requested = 0 AND opened_at IS NULL`, id, circles.SessionPlanned)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		deleted = n == 1
		return err
	})
	return deleted, err
}
