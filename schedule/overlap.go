package schedule

import (
	"context"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// Sessions that overlap in real time.
//
// ValidateRule refuses a rule whose sessions a clock change would make
// overlap within the coming year, but a rule saved before that check, one
// checked before its zone's rules changed, or one whose overlap lies
// further ahead can still produce a session that starts while the one
// before it runs. Such a session can't be held (a circle has one channel
// at a time), and it must not vanish in silence either: the scheduler
// never plans it as the next session, and the people who expect it are
// told (StepOverlap, Actions.SessionOverlapped) and it is marked skipped.

// beforeOpen reports whether step is one a session takes before it opens:
// the point at which it can still be called off for an overlap.
func beforeOpen(sess circles.Session, step Step) bool {
	if sess.State != circles.SessionPlanned || sess.ChannelID != "" || !sess.OpenedAt.IsZero() {
		return false
	}
	return step == StepShiftNotice || step == StepRemind || step == StepOpen
}

// overlappedBy finds the session of sess's circle that keeps sess from
// being held: one that starts before it and still runs when it starts, and
// that is open or going to open (see overlapping).
func (s *Scheduler) overlappedBy(ctx context.Context, c circles.Circle, sess circles.Session, now time.Time) (circles.Session, bool, error) {
	rule, err := compile(c.Schedule)
	if err != nil {
		return circles.Session{}, false, nil // the step itself will say what is wrong
	}
	before, err := s.store.Sessions(ctx, circles.SessionFilter{
		CircleID: sess.CircleID, States: []circles.SessionState{circles.SessionPlanned, circles.SessionOpen},
		From: sess.Start.Add(-circles.MaxSessionDuration), To: sess.Start,
	})
	if err != nil {
		return circles.Session{}, false, err
	}
	x, ok := s.overlapping(before, rule, sess.ID, sess.Start, now)
	return x, ok, nil
}

// overlapping picks, among sessions, one other than id that starts before
// start, still runs then, and will be held: it is open, or has begun to
// open, or is a planned occurrence of rule that can still open (not past
// its grace window, after which it is missed). A planned session the rule
// no longer has is not counted: a schedule change is about to drop it.
func (s *Scheduler) overlapping(sessions []circles.Session, rule compiled, id int64, start, now time.Time) (circles.Session, bool) {
	for _, x := range sessions {
		if x.ID == id || !x.Start.Before(start) || !x.End.After(start) {
			continue
		}
		switch {
		case x.State == circles.SessionOpen, x.State == circles.SessionPlanned && (x.ChannelID != "" || !x.OpenedAt.IsZero()):
			return x, true
		case x.State == circles.SessionPlanned && !now.After(x.Start.Add(s.grace)):
			if o, err := rule.next(x.Start.Add(-time.Nanosecond)); err == nil && o.Start.Equal(x.Start) {
				return x, true
			}
		}
	}
	return circles.Session{}, false
}

// overlapWhy says in words why earlier runs into sess, in the circle's zone.
func (s *Scheduler) overlapWhy(c circles.Circle, earlier, sess circles.Session) string {
	loc, err := loadLocation(c.Schedule.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return overlapNote(c.Schedule.TimeZone, loc, earlier.Start, earlier.End, sess.Start, earlier.Shift != "")
}

// noteOverlap makes sure an occurrence that can't be held has a session
// row due now, so that the scheduler tells its people and calls it off
// soon: a new one is planned with DueAt now, a planned one already there
// is made due now, and anything else is left as it is.
func (s *Scheduler) noteOverlap(ctx context.Context, c circles.Circle, o Occurrence, existing *circles.Session, now time.Time) error {
	if existing == nil {
		at, err := s.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, From: o.Start, To: o.Start.Add(time.Millisecond), Limit: 1})
		if err != nil {
			return err
		}
		if len(at) > 0 {
			existing = &at[0]
		}
	}
	if existing == nil {
		in := circles.Session{GuildID: c.GuildID, CircleID: c.ID, Start: o.Start, End: o.End, State: circles.SessionPlanned, Shift: o.Shift, DueAt: dueAt(now)}
		got, created, err := s.store.EnsureSession(ctx, in)
		if err != nil {
			return err
		}
		if created {
			s.log.Info("schedule: a session would start while the one before it runs; its people will be told", "guild", c.GuildID, "circle", c.ID, "session", got.ID, "start", got.Start)
			s.Kick()
			return nil
		}
		existing = &got
	}
	if existing.State != circles.SessionPlanned || existing.ChannelID != "" || !existing.OpenedAt.IsZero() {
		return nil
	}
	if existing.DueAt.IsZero() || existing.DueAt.After(now) {
		if _, err := s.setDue(ctx, *existing, now); err != nil {
			return err
		}
		s.Kick()
	}
	return nil
}
