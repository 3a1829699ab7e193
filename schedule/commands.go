package schedule

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// Plan makes sure the circle's next occurrence after now exists as a
// planned session with its DueAt set, and returns it. It is idempotent:
// sessions are keyed by circle and start. Occurrences already taken (skipped,
// or an ad-hoc session at the same time) are passed over. An archived circle
// has nothing planned: EConflict.
func (s *Scheduler) Plan(ctx context.Context, circleID int64) (circles.Session, error) {
	c, err := s.store.CircleByID(ctx, circleID)
	if err != nil {
		return circles.Session{}, err
	}
	if c.Archived {
		return circles.Session{}, archived(c)
	}
	g, err := s.settings(ctx, c.GuildID)
	if err != nil {
		return circles.Session{}, err
	}
	return s.plan(ctx, c, g, s.clock.Now())
}

func archived(c circles.Circle) error {
	return circles.Errorf(circles.EConflict, "%s is archived, so it has no sessions ahead.", c.EscapedName())
}

// PlanUpcoming makes sure the circle's next n occurrences (skipped or taken
// ones passed over) exist as planned sessions with their DueAt set, so that
// each can take RSVPs, and returns them in order. Like Plan it is
// idempotent; an archived circle has none.
func (s *Scheduler) PlanUpcoming(ctx context.Context, c circles.Circle, n int) ([]circles.Session, error) {
	if c.Archived || n <= 0 {
		return nil, nil
	}
	g, err := s.settings(ctx, c.GuildID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]circles.Session, 0, n)
	after := now
	for len(out) < n {
		got, err := s.planAfter(ctx, c, g, now, after)
		if err != nil {
			return out, err
		}
		out = append(out, got)
		after = got.Start
	}
	return out, nil
}

// plan plans the circle's next free occurrence after now (planAfter) and
// marks the circle planned (circles.PlanMark), so that the next start can
// pass it by. The generation is read first: a change to the circle after
// the caller read it refuses the mark at worst, and the circle is planned
// again at the next start. A failure to mark is logged, not returned.
func (s *Scheduler) plan(ctx context.Context, c circles.Circle, g circles.GuildSettings, now time.Time) (circles.Session, error) {
	gen, genErr := s.store.PlanGen(ctx, c.ID)
	got, err := s.planAfter(ctx, c, g, now, now)
	if err != nil || genErr != nil {
		return got, err
	}
	s.markPlanned(ctx, []circles.PlanMark{markOf(c.ID, gen, got)})
	return got, nil
}

func markOf(circleID, gen int64, next circles.Session) circles.PlanMark {
	return circles.PlanMark{CircleID: circleID, Gen: gen, SessionID: next.ID, Start: next.Start}
}

// planAfter plans the circle's first occurrence starting after after that
// is free (not skipped or taken, not while a session of the circle is
// under way, and not while one planned before it would still run), as of
// now. An occurrence passed over because the session before it would
// still run (a clock change made them overlap) is noted, so that its
// people are told (noteOverlap); so is the occurrence right after the one
// returned, when it would start before that one ends.
func (s *Scheduler) planAfter(ctx context.Context, c circles.Circle, g circles.GuildSettings, now, after time.Time) (circles.Session, error) {
	rule, err := compile(c.Schedule)
	if err != nil {
		return circles.Session{}, err
	}
	busy, err := s.busyUntil(ctx, c, now)
	if err != nil {
		return circles.Session{}, err
	}
	after = notBefore(after, busy)
	for range maxPlanAhead {
		o, err := rule.next(after)
		if err != nil {
			return circles.Session{}, err
		}
		// Usually the session exists already (Reconcile at every start, Plan
		// after every open); a read finds it without queueing for the one
		// writer connection, with the sessions that might still run at
		// its start.
		near, err := s.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, From: o.Start.Add(-circles.MaxSessionDuration), To: o.Start.Add(time.Millisecond)})
		if err != nil {
			return circles.Session{}, err
		}
		var existing *circles.Session
		for i := range near {
			if near[i].Start.Equal(o.Start) {
				existing = &near[i]
			}
		}
		if _, overlapped := s.overlapping(near, rule, 0, o.Start, now); overlapped {
			if err := s.noteOverlap(ctx, c, o, existing, now); err != nil {
				return circles.Session{}, err
			}
			after = o.Start
			continue
		}
		var got circles.Session
		if existing != nil {
			got = *existing
		} else {
			in := circles.Session{GuildID: c.GuildID, CircleID: c.ID, Start: o.Start, End: o.End, State: circles.SessionPlanned, Shift: o.Shift}
			_, at := NextAction(c, g, in, now, s.grace)
			in.DueAt = dueAt(at)
			var created bool
			if got, created, err = s.store.EnsureSession(ctx, in); err != nil {
				return circles.Session{}, err
			}
			if created {
				s.log.Debug("schedule: planned", "guild", c.GuildID, "circle", c.ID, "session", got.ID, "start", got.Start)
				return got, s.lookAhead(ctx, c, rule, got, now)
			}
		}
		if got.State == circles.SessionPlanned {
			if got.DueAt.IsZero() {
				// A planned row must always be on the due index, or it
				// would never open.
				_, at := NextAction(c, g, got, now, s.grace)
				if got, err = s.setDue(ctx, got, at); err != nil {
					return got, err
				}
			}
			return got, s.lookAhead(ctx, c, rule, got, now)
		}
		after = o.Start
	}
	return circles.Session{}, circles.Errorf(circles.EConflict, "The next %d sessions of %s are all skipped or taken; nothing new was planned.", maxPlanAhead, c.EscapedName())
}

// lookAhead notes the occurrence after a planned session when it would
// start before that session ends: once the session has begun, planning
// steps past everything that starts while it runs, and the people of that
// occurrence would never hear why it didn't happen.
func (s *Scheduler) lookAhead(ctx context.Context, c circles.Circle, rule compiled, sess circles.Session, now time.Time) error {
	o, err := rule.next(sess.Start)
	if err != nil || !o.Start.Before(sess.End) {
		return nil // an error here is the next plan's to report
	}
	return s.noteOverlap(ctx, c, o, nil, now)
}

// busyUntil is when the circle's sessions that have started by now end:
// the open one, or one still opening (or waiting to open late). A session
// runs to its end even if the schedule changed meanwhile, so no occurrence
// may start before then — the new schedule applies from the next one. It
// is the zero time when none has.
func (s *Scheduler) busyUntil(ctx context.Context, c circles.Circle, now time.Time) (time.Time, error) {
	started, err := s.store.Sessions(ctx, circles.SessionFilter{
		CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen, circles.SessionPlanned},
		To: now.Add(time.Millisecond),
	})
	briefs := make([]circles.SessionBrief, len(started))
	for i, x := range started {
		briefs[i] = x.Brief()
	}
	return BusyUntil(briefs, now), err
}

// notBefore returns the instant to look for occurrences after so that the
// first one found starts no earlier than from nor before busy ends.
func notBefore(after, busy time.Time) time.Time {
	if b := busy.Add(-time.Nanosecond); b.After(after) {
		return b
	}
	return after
}

// Reconcile brings the world in line with the store after a start: every
// active circle gets its next session planned, then every due step runs —
// sessions that should be open are opened (or found, as opening is
// idempotent), ones whose start passed more than LateOpenGrace ago are
// marked missed and facilitators told, overdue closes are done, and
// channels past retention deleted. Failures for single circles are logged
// and do not stop the rest.
//
// Only the circles that may need it are planned (Store.CirclesToPlan): new
// or changed ones, ones whose planned session was taken off the plan, and
// ones whose next session has begun (downtime). Every other circle's next
// session is known to be planned already, so a restart costs what is due,
// not what is stored. A process that runs some of the shards plans the
// circles of its own shards' guilds only (SetShards).
func (s *Scheduler) Reconcile(ctx context.Context) error {
	todo, err := s.store.CirclesToPlan(ctx, s.clock.Now(), s.owned())
	if err != nil {
		return fmt.Errorf("schedule: reconcile: %w", err)
	}
	failed := s.planAll(ctx, todo)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.replanLater(failed, true)
	n, err := s.RunDue(ctx)
	s.log.Info("schedule: reconciled", "circles_planned", len(todo), "steps", n, "plan_failures", len(failed))
	if err != nil {
		return fmt.Errorf("schedule: reconcile: %w", err)
	}
	if len(failed) > 0 {
		return fmt.Errorf("schedule: reconcile: planning failed for %d of %d circles (see log); retrying them in the background", len(failed), len(todo))
	}
	return nil
}

// replanLater remembers circles whose planning failed, for RunDue to try
// again after RetryDelay, doubling the wait after each failed round (up to
// an hour) so that a circle broken until someone fixes it doesn't flood
// the log. first starts the wait over.
func (s *Scheduler) replanLater(ids []int64, first bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.unplanned[id] = true
	}
	switch {
	case len(s.unplanned) == 0:
		s.replanWait = 0
		return
	case first || s.replanWait == 0:
		s.replanWait = s.retry
	default:
		s.replanWait = min(2*s.replanWait, maxReplanWait)
	}
	s.replanAt = s.clock.Now().Add(s.replanWait)
}

// replanFailed plans again, when their time has come, the circles whose
// planning failed before (see replanLater).
func (s *Scheduler) replanFailed(ctx context.Context) {
	s.mu.Lock()
	if len(s.unplanned) == 0 || s.clock.Now().Before(s.replanAt) {
		s.mu.Unlock()
		return
	}
	todo := make([]circles.PlanMark, 0, len(s.unplanned))
	for id := range s.unplanned {
		todo = append(todo, circles.PlanMark{CircleID: id, Gen: unknownGen})
	}
	clear(s.unplanned)
	s.mu.Unlock()
	failed := s.planAll(ctx, todo)
	if len(failed) < len(todo) {
		s.log.Info("schedule: planned circles that failed before", "planned", len(todo)-len(failed), "still_failing", len(failed))
	}
	s.replanLater(failed, false)
}

// unknownGen asks planAll to read a circle's plan generation itself.
const unknownGen = -1

// markBatch is how many plan marks, and first sessions of fresh circles,
// planAll writes per transaction.
const markBatch = 1024

// planAll plans every circle in todo, Workers at a time (planning is mostly
// reads, which run in parallel), and returns the ones that failed. Guild
// settings are looked up once per guild; the circles planned are marked so
// in batches (circles.PlanMark), with the generation todo carries, read
// before the circle. A fresh circle (no sessions at all, as every one at
// the first start of a new database) has nothing that could be under way,
// skipped or taken, so its first occurrence is planned without reading its
// sessions, and written with others in one transaction. A circle deleted
// meanwhile is not a failure, nor is one of a guild on another process's
// shards (it is that process's to plan).
func (s *Scheduler) planAll(ctx context.Context, todo []circles.PlanMark) []int64 {
	shards := s.owned()
	var (
		mu     sync.Mutex
		guilds = map[string]circles.GuildSettings{}
		failed []int64
		marks  []circles.PlanMark
		firsts []firstPlan
		work   = make(chan circles.PlanMark)
		wg     sync.WaitGroup
	)
	fail := func(id int64, err error) {
		if err == nil || ctx.Err() != nil {
			return
		}
		mu.Lock()
		failed = append(failed, id)
		mu.Unlock()
		s.log.Error("schedule: plan", "circle", id, "error", err)
	}
	mark := func(m circles.PlanMark) {
		mu.Lock()
		marks = append(marks, m)
		var full []circles.PlanMark
		if len(marks) >= markBatch {
			full, marks = marks, nil
		}
		mu.Unlock()
		s.markPlanned(ctx, full)
	}
	// planFully plans one circle the usual way and marks it.
	planFully := func(f firstPlan) {
		now := s.clock.Now()
		next, err := s.planAfter(ctx, f.c, f.g, now, now)
		if err == nil {
			mark(markOf(f.c.ID, f.gen, next))
			s.follow(ctx, f.c)
		}
		fail(f.c.ID, err)
	}
	// writeFirsts stores fresh circles' first sessions in one transaction;
	// any not created there (or all, if it failed) are planned the usual
	// way.
	writeFirsts := func(batch []firstPlan) {
		if len(batch) == 0 {
			return
		}
		in := make([]circles.Session, len(batch))
		for i, f := range batch {
			in[i] = f.in
		}
		out, created, err := s.store.EnsureSessions(ctx, in)
		for i, f := range batch {
			if err != nil || !created[i] {
				planFully(f)
				continue
			}
			s.log.Debug("schedule: planned", "guild", f.c.GuildID, "circle", f.c.ID, "session", out[i].ID, "start", out[i].Start)
			mark(markOf(f.c.ID, f.gen, out[i]))
			s.follow(ctx, f.c)
		}
	}
	planOne := func(m circles.PlanMark) error {
		if m.Gen == unknownGen {
			gen, err := s.store.PlanGen(ctx, m.CircleID)
			if circles.ErrorCode(err) == circles.ENotFound {
				return nil
			}
			if err != nil {
				return err
			}
			m.Gen = gen
		}
		c, err := s.store.CircleByID(ctx, m.CircleID)
		if circles.ErrorCode(err) == circles.ENotFound {
			return nil
		}
		if err != nil || c.Archived || !shards.Owns(c.GuildID) {
			return err // another process plans the circles of its guilds
		}
		mu.Lock()
		g, ok := guilds[c.GuildID]
		mu.Unlock()
		if !ok {
			if g, err = s.settings(ctx, c.GuildID); err != nil {
				return err
			}
			mu.Lock()
			guilds[c.GuildID] = g
			mu.Unlock()
		}
		f := firstPlan{c: c, g: g, gen: m.Gen}
		var first bool
		if m.Fresh {
			f.in, first = s.firstSession(c, g, s.clock.Now())
		}
		if !first {
			planFully(f)
			return nil
		}
		mu.Lock()
		firsts = append(firsts, f)
		var full []firstPlan
		if len(firsts) >= markBatch {
			full, firsts = firsts, nil
		}
		mu.Unlock()
		writeFirsts(full)
		return nil
	}
	for range s.workers {
		wg.Go(func() {
			for m := range work {
				fail(m.CircleID, planOne(m))
			}
		})
	}
feed:
	for _, m := range todo {
		select {
		case work <- m:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	writeFirsts(firsts)
	s.markPlanned(ctx, marks)
	return failed
}

// firstPlan is a circle planAll plans, and for a fresh one the first
// session to store.
type firstPlan struct {
	c   circles.Circle
	g   circles.GuildSettings
	gen int64
	in  circles.Session
}

// firstSession is the session planAfter would plan for a circle with no
// sessions at all: its first occurrence after now, with its DueAt. ok is
// false when that takes more than the rule (an error to report, or the
// occurrence after it starts before it ends, for lookAhead to note):
// planAfter must do it.
func (s *Scheduler) firstSession(c circles.Circle, g circles.GuildSettings, now time.Time) (in circles.Session, ok bool) {
	rule, err := compile(c.Schedule)
	if err != nil {
		return in, false
	}
	o, err := rule.next(now)
	if err != nil {
		return in, false
	}
	if after, err := rule.next(o.Start); err != nil || after.Start.Before(o.End) {
		return in, false
	}
	in = circles.Session{GuildID: c.GuildID, CircleID: c.ID, Start: o.Start, End: o.End, State: circles.SessionPlanned, Shift: o.Shift}
	_, at := NextAction(c, g, in, now, s.grace)
	in.DueAt = dueAt(at)
	return in, true
}

// markPlanned stores plan marks; a failure only means those circles are
// planned again at the next start.
func (s *Scheduler) markPlanned(ctx context.Context, marks []circles.PlanMark) {
	if len(marks) == 0 {
		return
	}
	if err := s.store.MarkPlanned(ctx, marks); err != nil && ctx.Err() == nil {
		s.log.Warn("schedule: marking circles planned; the next start plans them again", "circles", len(marks), "error", err)
	}
}

// OpenNow opens an ad-hoc session of a circle right away, for a
// facilitator's "/circle open": it starts now (whole seconds) and lasts the
// circle's usual duration. EConflict when a session is already open. A
// planned session that would start before the ad-hoc one ends is skipped,
// since this one takes its place. openedBy, unless empty, is recorded as
// going before the open, so that the facilitator-presence gate sees the
// facilitator who opened it (the session may be the regular one, when it
// starts this very second). If opening fails the error is returned with
// the session, and the scheduler keeps retrying the open in the background
// (see SkipSession).
//
// A session that began to open and got stuck (its channel exists, it never
// reached open) is finished instead of starting another; one that is open
// with part of its opening left (OpeningPending) gets that retried before
// the EConflict.
func (s *Scheduler) OpenNow(ctx context.Context, guildID string, circleID int64, openedBy string) (circles.Session, error) {
	c, err := s.store.Circle(ctx, guildID, circleID)
	if err != nil {
		return circles.Session{}, err
	}
	if c.Archived {
		return circles.Session{}, archived(c)
	}
	if open, err := s.openSessions(ctx, c); err != nil {
		return circles.Session{}, err
	} else if len(open) > 0 {
		if open[0].OpeningPending {
			// Failures are logged and retried by the scheduler as usual.
			_, _ = s.runNow(ctx, open[0].ID)
		}
		return circles.Session{}, alreadyOpen(c, open[0])
	}
	stuck, err := s.stuckOpening(ctx, c)
	if err != nil {
		return circles.Session{}, err
	}
	if len(stuck) > 0 {
		if openedBy != "" {
			if _, err := s.store.SetRSVP(ctx, c.GuildID, stuck[0].ID, openedBy, circles.RSVPGoing, s.clock.Now()); err != nil {
				return circles.Session{}, err
			}
		}
		s.log.Info("schedule: finishing a session stuck opening, on request", "guild", c.GuildID, "circle", c.ID, "session", stuck[0].ID)
		return s.runNow(ctx, stuck[0].ID)
	}
	now := s.clock.Now().Truncate(time.Second)
	in := circles.Session{GuildID: c.GuildID, CircleID: c.ID, Start: now, End: now.Add(c.Schedule.Duration), State: circles.SessionPlanned, DueAt: now}
	sess, _, err := s.store.EnsureSession(ctx, in)
	if err != nil {
		return circles.Session{}, err
	}
	switch sess.State {
	case circles.SessionPlanned: // new, or a regular occurrence starting this very second
	case circles.SessionOpen:
		return circles.Session{}, alreadyOpen(c, sess)
	default:
		return circles.Session{}, circles.Errorf(circles.EConflict, "A session of %s started at this very moment and is already over or called off. Please try again in a moment.", c.EscapedName())
	}
	if err := s.skipOverlapping(ctx, c, sess); err != nil {
		return circles.Session{}, err
	}
	if openedBy != "" {
		if _, err := s.store.SetRSVP(ctx, c.GuildID, sess.ID, openedBy, circles.RSVPGoing, s.clock.Now()); err != nil {
			return circles.Session{}, err
		}
	}
	return s.runNow(ctx, sess.ID)
}

func alreadyOpen(c circles.Circle, sess circles.Session) error {
	if sess.ChannelID != "" {
		return circles.Errorf(circles.EConflict, "%s already has an open session: <#%s>.", c.EscapedName(), sess.ChannelID)
	}
	return circles.Errorf(circles.EConflict, "%s already has an open session.", c.EscapedName())
}

func (s *Scheduler) openSessions(ctx context.Context, c circles.Circle) ([]circles.Session, error) {
	return s.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
}

// stuckOpening lists the circle's sessions that have begun to open (a
// channel was made, or people were let in) and have started, but are not
// recorded open: an open that keeps failing, or one interrupted by a crash.
func (s *Scheduler) stuckOpening(ctx context.Context, c circles.Circle) ([]circles.Session, error) {
	planned, err := s.store.Sessions(ctx, circles.SessionFilter{
		CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned},
		To: s.clock.Now().Add(time.Millisecond),
	})
	if err != nil {
		return nil, err
	}
	var out []circles.Session
	for _, p := range planned {
		if p.ChannelID != "" || !p.OpenedAt.IsZero() {
			out = append(out, p)
		}
	}
	return out, nil
}

// skipOverlapping skips the planned sessions of c that would start while
// the ad-hoc session adhoc runs (or that are waiting to open late).
func (s *Scheduler) skipOverlapping(ctx context.Context, c circles.Circle, adhoc circles.Session) error {
	planned, err := s.store.Sessions(ctx, circles.SessionFilter{
		CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned},
		From: adhoc.Start.Add(-s.grace), To: adhoc.End,
	})
	if err != nil {
		return err
	}
	for _, p := range planned {
		if p.ID == adhoc.ID {
			continue
		}
		if _, err := s.skip(ctx, p.ID); err != nil && circles.ErrorCode(err) != circles.EConflict {
			return err
		}
		s.log.Info("schedule: skipped for an ad-hoc session", "guild", c.GuildID, "circle", c.ID, "session", p.ID, "adhoc", adhoc.ID)
	}
	return nil
}

// runNow does a session's due steps at once, on behalf of a command, and
// returns the session as stored afterwards.
func (s *Scheduler) runNow(ctx context.Context, id int64) (circles.Session, error) {
	if err := s.claim(ctx, id); err != nil {
		return circles.Session{}, err
	}
	_, err := s.process(ctx, id)
	s.release(id)
	sess, gerr := s.store.Session(ctx, id)
	if err == nil {
		err = gerr
	}
	return sess, err
}

// CloseNow closes a circle's open session right away, for a facilitator's
// "/circle close": its End becomes now. A session stuck opening (its
// channel made, never recorded open) is closed the same way, so that a
// facilitator can always end what the bot started. EConflict when nothing
// is open.
func (s *Scheduler) CloseNow(ctx context.Context, guildID string, circleID int64) (circles.Session, error) {
	c, err := s.store.Circle(ctx, guildID, circleID)
	if err != nil {
		return circles.Session{}, err
	}
	open, err := s.openSessions(ctx, c)
	if err != nil {
		return circles.Session{}, err
	}
	stuck, err := s.stuckOpening(ctx, c)
	if err != nil {
		return circles.Session{}, err
	}
	open = append(open, stuck...)
	if len(open) == 0 {
		return circles.Session{}, circles.Errorf(circles.EConflict, "%s has no open session to close.", c.EscapedName())
	}
	var last circles.Session
	for _, o := range open {
		if err := s.claim(ctx, o.ID); err != nil {
			return circles.Session{}, err
		}
		now := s.clock.Now()
		_, err := s.store.UpdateSession(ctx, o.ID, func(cur *circles.Session) error {
			opening := cur.State == circles.SessionPlanned && (cur.ChannelID != "" || !cur.OpenedAt.IsZero())
			if cur.State != circles.SessionOpen && !opening {
				return errMoved
			}
			switch {
			case now.Before(cur.Start):
				cur.End = cur.Start // a clock set back; End may not precede Start
			case now.Before(cur.End):
				cur.End = now
			}
			cur.DueAt = dueAt(cur.End)
			return nil
		})
		s.release(o.ID)
		if errors.Is(err, errMoved) {
			continue // it closed meanwhile
		}
		if err != nil {
			return circles.Session{}, err
		}
		if last, err = s.runNow(ctx, o.ID); err != nil {
			return last, err
		}
	}
	if last.ID == 0 {
		return circles.Session{}, circles.Errorf(circles.EConflict, "%s has no open session to close.", c.EscapedName())
	}
	return last, nil
}

// Skip marks the circle's next planned occurrence skipped, plans the one
// after, and returns the skipped session.
func (s *Scheduler) Skip(ctx context.Context, guildID string, circleID int64) (circles.Session, error) {
	return s.SkipAt(ctx, guildID, circleID, time.Time{})
}

// SkipAt marks the circle's occurrence that starts at start skipped — one
// of its upcoming sessions (Upcoming), not only the next — plans the next
// session, and returns the skipped one. The zero start is Skip. EInvalid
// when no upcoming session starts then.
func (s *Scheduler) SkipAt(ctx context.Context, guildID string, circleID int64, start time.Time) (circles.Session, error) {
	c, err := s.store.Circle(ctx, guildID, circleID)
	if err != nil {
		return circles.Session{}, err
	}
	if c.Archived {
		return circles.Session{}, archived(c)
	}
	g, err := s.settings(ctx, c.GuildID)
	if err != nil {
		return circles.Session{}, err
	}
	now := s.clock.Now()
	after := now
	if !start.IsZero() {
		if !start.After(now) {
			return circles.Session{}, circles.Errorf(circles.EInvalid, "That session has already started, so it can't be skipped.")
		}
		after = start.Add(-time.Nanosecond)
	}
	target, err := s.planAfter(ctx, c, g, now, after)
	if err != nil {
		return circles.Session{}, err
	}
	if !start.IsZero() && !target.Start.Equal(start) {
		return circles.Session{}, circles.Errorf(circles.EInvalid, "%s has no session planned for then any more. Please choose again from the list.", c.EscapedName())
	}
	skipped, err := s.skip(ctx, target.ID)
	if err != nil {
		return circles.Session{}, err
	}
	if _, err := s.plan(ctx, c, g, s.clock.Now()); err != nil {
		s.log.Error("schedule: plan after skip", "guild", c.GuildID, "circle", c.ID, "error", err)
	}
	return skipped, nil
}

// skip marks one planned session skipped, holding its claim so it cannot be
// opening at the same moment, and forgets its failures.
func (s *Scheduler) skip(ctx context.Context, id int64) (circles.Session, error) {
	if err := s.claim(ctx, id); err != nil {
		return circles.Session{}, err
	}
	defer s.release(id)
	out, err := s.store.UpdateSession(ctx, id, func(cur *circles.Session) error {
		if cur.State != circles.SessionPlanned || cur.ChannelID != "" || cur.ChannelRequested || !cur.OpenedAt.IsZero() {
			// A planned session with a channel is opening; skipping it now
			// would leave its channel behind.
			return circles.Errorf(circles.EConflict, "That session has already started, so it can't be skipped. Use /circle close to end it.")
		}
		cur.State = circles.SessionSkipped
		cur.DueAt = time.Time{}
		return nil
	})
	if err == nil {
		s.Forget(id)
	}
	return out, err
}

// SkipSession gives up on one planned session that has not begun to open
// (no channel): marked skipped, with nothing more to do, and the circle's
// next session planned. For an ad-hoc open that can't succeed until
// someone changes a setting (the bot may not create channels, the category
// is gone): better to say so than to keep trying. EConflict if the session
// has a channel or is no longer planned.
func (s *Scheduler) SkipSession(ctx context.Context, id int64) (circles.Session, error) {
	skipped, err := s.skip(ctx, id)
	if err != nil {
		return skipped, err
	}
	s.log.Info("schedule: session given up", "guild", skipped.GuildID, "circle", skipped.CircleID, "session", id)
	if _, err := s.Plan(ctx, skipped.CircleID); err != nil && circles.ErrorCode(err) != circles.EConflict {
		s.log.Error("schedule: plan after giving up a session", "guild", skipped.GuildID, "circle", skipped.CircleID, "error", err)
	}
	return skipped, nil
}

// Upcoming returns the circle's next n occurrences after now, leaving out
// the ones marked skipped and any that would start while a session of the
// circle is under way, or while the one listed before it would still run
// (a clock change made them overlap); none for an archived circle. It is
// UpcomingAfter with what the store holds.
func (s *Scheduler) Upcoming(ctx context.Context, c circles.Circle, n int) ([]Occurrence, error) {
	if c.Archived || n <= 0 {
		return nil, nil
	}
	now := s.clock.Now()
	skipped, err := s.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionSkipped}, From: now})
	if err != nil {
		return nil, err
	}
	starts := make([]time.Time, len(skipped))
	for i, sk := range skipped {
		starts[i] = sk.Start
	}
	busy, err := s.busyUntil(ctx, c, now)
	if err != nil {
		return nil, err
	}
	return UpcomingAfter(c, now, starts, busy, n)
}

// ChannelLost records that a session's channel was deleted in Discord by
// someone other than the bot. A session being opened or open ends there:
// it is marked deleted and ChannelLost, with nothing more to do, and the
// circle's next session is planned; a closed one waiting for its channel's
// deletion is simply done. It reports whether a live session (being
// opened, or open) ended, which is news for its facilitators. A session
// whose channel is another one by now (a new one was made) is left alone.
func (s *Scheduler) ChannelLost(ctx context.Context, id int64, channelID string) (circles.Session, bool, error) {
	if err := s.claim(ctx, id); err != nil {
		return circles.Session{}, false, err
	}
	defer s.release(id)
	sess, err := s.store.Session(ctx, id)
	if err != nil {
		return sess, false, err
	}
	if channelID == "" || sess.ChannelID != channelID || !sess.Active() {
		return sess, false, nil
	}
	live := sess.State != circles.SessionClosed
	now := s.clock.Now()
	out, err := s.store.UpdateSession(ctx, id, func(cur *circles.Session) error {
		cur.State = circles.SessionDeleted
		cur.ChannelLost = true
		if cur.ClosedAt.IsZero() {
			cur.ClosedAt = now
		}
		if cur.DeleteAt.IsZero() {
			cur.DeleteAt = now
		}
		cur.DueAt = time.Time{}
		cur.AccessDirty, cur.OpeningPending = false, false
		return nil
	})
	if err != nil {
		return sess, false, err
	}
	s.Forget(id)
	s.log.Info("schedule: the session's channel was deleted in Discord; the session is over", "guild", out.GuildID, "circle", out.CircleID, "session", id, "was", string(sess.State))
	if _, err := s.Plan(ctx, out.CircleID); err != nil && circles.ErrorCode(err) != circles.EConflict {
		s.log.Error("schedule: plan after a lost channel", "guild", out.GuildID, "circle", out.CircleID, "error", err)
	}
	s.Kick()
	return out, live, nil
}

// WakeSoon marks a session's channel access as out of date
// (AccessDirty), for an access change the bot could not apply outside a
// step — after a member left, say — and makes the scheduler look at the
// session within RetryDelay. Whenever the scheduler works on a marked
// session it first re-syncs the access (Actions.SyncAccess), clearing the
// mark on success and otherwise retrying, less and less often, until it
// works; the session's steps go ahead meanwhile, on time. It waits while a
// step of the session is running, so the step's own DueAt cannot overwrite
// the wake; it must not be called from inside a step.
func (s *Scheduler) WakeSoon(ctx context.Context, id int64) error {
	if err := s.claim(ctx, id); err != nil {
		return err
	}
	defer s.release(id)
	at := dueAt(s.clock.Now().Add(s.retry))
	_, err := s.store.UpdateSession(ctx, id, func(cur *circles.Session) error {
		if !cur.Active() {
			return nil
		}
		cur.AccessDirty = true
		if cur.DueAt.IsZero() || cur.DueAt.After(at) {
			cur.DueAt = at
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("schedule: wake session %d soon: %w", id, err)
	}
	s.Kick()
	return nil
}

// GuildSettingsChanged recomputes when the guild's planned sessions are
// next due, after /setup changed its settings: their DueAt was worked out
// with the reminder lead of the time they were planned, and a longer lead
// must remind people earlier than that. (A shorter one would correct itself
// at the old time, a little late.) Retention is not revisited: it is fixed
// when a session closes, so a new setting applies to sessions closed from
// now on. Failures are logged as well as returned.
func (s *Scheduler) GuildSettingsChanged(ctx context.Context, guildID string) error {
	err := s.guildSettingsChanged(ctx, guildID)
	if err != nil {
		s.log.Error("schedule: rescheduling after a settings change", "guild", guildID, "error", err)
	}
	return err
}

func (s *Scheduler) guildSettingsChanged(ctx context.Context, guildID string) error {
	g, err := s.settings(ctx, guildID)
	if err != nil {
		return err
	}
	planned, err := s.store.Sessions(ctx, circles.SessionFilter{GuildID: guildID, States: []circles.SessionState{circles.SessionPlanned}})
	if err != nil {
		return err
	}
	byID := map[int64]circles.Circle{}
	var errs []error
	for _, p := range planned {
		c, ok := byID[p.CircleID]
		if !ok {
			if c, err = s.store.CircleByID(ctx, p.CircleID); err != nil {
				errs = append(errs, err)
				continue
			}
			byID[c.ID] = c
		}
		errs = append(errs, s.redue(ctx, c, g, p.ID))
	}
	s.Kick()
	return errors.Join(errs...)
}

// redue stores a planned session's DueAt anew from NextAction.
func (s *Scheduler) redue(ctx context.Context, c circles.Circle, g circles.GuildSettings, id int64) error {
	if err := s.claim(ctx, id); err != nil {
		return err
	}
	defer s.release(id)
	sess, err := s.store.Session(ctx, id)
	if circles.ErrorCode(err) == circles.ENotFound {
		return nil // purged meanwhile
	}
	if err != nil || sess.State != circles.SessionPlanned {
		return err
	}
	_, at := NextAction(c, g, sess, s.clock.Now(), s.grace)
	_, err = s.setDue(ctx, sess, at)
	return err
}

// ScheduleChanged brings a circle's planned sessions in line with its
// schedule, after /circle schedule changed it (the store leaves sessions
// alone). A planned session whose start is still an occurrence of the new
// rule is kept — its RSVPs and sent reminders with it — and takes the new
// duration, its DueAt worked out again; one that no longer is, or that
// would start while a session of the circle is under way, is deleted,
// after the people reminded of it were told it moved
// (Actions.SessionMoved). Sessions that have started (open, opening,
// waiting to open late) run as they were planned; the new schedule applies
// from the next one, which is planned here.
func (s *Scheduler) ScheduleChanged(ctx context.Context, c circles.Circle) error {
	err := s.scheduleChanged(ctx, c)
	if err != nil {
		s.log.Error("schedule: reconciling sessions after a schedule change", "guild", c.GuildID, "circle", c.ID, "error", err)
	}
	s.Kick()
	return err
}

func (s *Scheduler) scheduleChanged(ctx context.Context, c circles.Circle) error {
	if c.Archived {
		return nil
	}
	g, err := s.settings(ctx, c.GuildID)
	if err != nil {
		return err
	}
	rule, err := compile(c.Schedule)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	busy, err := s.busyUntil(ctx, c, now)
	if err != nil {
		return err
	}
	planned, err := s.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned}, From: now})
	if err != nil {
		return err
	}
	var gone []int64
	for _, p := range planned {
		if !p.Start.After(now) {
			continue // due to open now: it runs as planned
		}
		keep, err := s.refit(ctx, c, g, rule, busy, p.ID)
		if err != nil {
			return err
		}
		if !keep {
			gone = append(gone, p.ID)
		}
	}
	var next *circles.Session
	if n, err := s.plan(ctx, c, g, now); err != nil {
		s.replanLater([]int64{c.ID}, true)
		s.log.Error("schedule: plan after a schedule change; retrying in the background", "guild", c.GuildID, "circle", c.ID, "error", err)
	} else {
		next = &n
	}
	var errs []error
	for _, id := range gone {
		errs = append(errs, s.dropMoved(ctx, c, id, next))
	}
	return errors.Join(errs...)
}

// refit keeps a planned session that still fits rule (its start an
// occurrence, not before busy), giving it the rule's end and shift and a
// new DueAt, and reports false for one that doesn't. A session that began
// to open meanwhile is kept as it is.
func (s *Scheduler) refit(ctx context.Context, c circles.Circle, g circles.GuildSettings, rule compiled, busy time.Time, id int64) (bool, error) {
	if err := s.claim(ctx, id); err != nil {
		return false, err
	}
	defer s.release(id)
	sess, err := s.store.Session(ctx, id)
	if circles.ErrorCode(err) == circles.ENotFound {
		return true, nil // nothing to do
	}
	if err != nil {
		return false, err
	}
	if sess.State != circles.SessionPlanned || sess.ChannelID != "" || sess.ChannelRequested || !sess.OpenedAt.IsZero() {
		return true, nil
	}
	o, err := rule.next(sess.Start.Add(-time.Second))
	if err != nil {
		return false, err
	}
	if !o.Start.Equal(sess.Start) || sess.Start.Before(busy) {
		return false, nil
	}
	_, err = s.store.UpdateSession(ctx, id, func(cur *circles.Session) error {
		cur.End = o.End
		if cur.Shift != o.Shift {
			cur.Shift, cur.ShiftNoticeSent = o.Shift, false
		}
		_, at := NextAction(c, g, *cur, s.clock.Now(), s.grace)
		cur.DueAt = dueAt(at)
		return nil
	})
	return true, err
}

// dropMoved deletes a planned session the new schedule has no place for,
// with its RSVPs, first telling the people who expect it — reminded of it
// or RSVP'd (Actions.SessionMoved; a failure to tell is logged).
func (s *Scheduler) dropMoved(ctx context.Context, c circles.Circle, id int64, next *circles.Session) error {
	if err := s.claim(ctx, id); err != nil {
		return err
	}
	defer s.release(id)
	sess, err := s.store.Session(ctx, id)
	if circles.ErrorCode(err) == circles.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if sess.State != circles.SessionPlanned || sess.ChannelID != "" || sess.ChannelRequested || !sess.OpenedAt.IsZero() {
		return nil // began to open meanwhile: it runs as planned
	}
	rsvps, err := s.store.RSVPs(ctx, id)
	if err != nil {
		return err
	}
	if sess.RemindersSent || len(rsvps) > 0 {
		func() {
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("schedule: telling about a moved session panicked", "guild", c.GuildID, "circle", c.ID, "session", id, "panic", fmt.Sprint(p))
				}
			}()
			if err := s.actions.SessionMoved(ctx, c, sess, next); err != nil {
				s.log.Error("schedule: telling about a moved session", "guild", c.GuildID, "circle", c.ID, "session", id, "error", err)
			}
		}()
	}
	if _, err := s.store.DeletePlannedSession(ctx, id); err != nil {
		return err
	}
	s.Forget(id)
	s.log.Info("schedule: dropped a session the new schedule has no place for", "guild", c.GuildID, "circle", c.ID, "session", id, "start", sess.Start, "reminded", sess.RemindersSent, "rsvps", len(rsvps))
	return nil
}
