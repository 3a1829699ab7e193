package schedule

import (
	"slices"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// changeSchedule saves a new rule for c, as /circle schedule does, and
// reconciles its sessions.
func (e *env) changeSchedule(c circles.Circle, edit func(*circles.Rule)) circles.Circle {
	e.t.Helper()
	c, _, err := e.store.UpdateCircle(e.ctx, testGuild, c.ID, func(c *circles.Circle) error {
		edit(&c.Schedule)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.sched.ScheduleChanged(e.ctx, c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) join(c circles.Circle, user string) {
	e.t.Helper()
	if _, err := e.store.Join(e.ctx, circles.JoinRequest{GuildID: testGuild, CircleID: c.ID, UserID: user, Mode: circles.ModeMember, GuidelinesVersion: c.Guidelines.Version}, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
}

// A schedule change keeps the planned sessions the new rule still has —
// with their RSVPs and sent reminders, at the new length — and drops the
// others, telling the people who expect one that it moved: reminded of it,
// or RSVP'd weeks ahead.
func TestScheduleChanged(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	e.join(c, "m1")
	up, err := e.sched.PlanUpcoming(e.ctx, c, 3)
	if err != nil || len(up) != 3 {
		t.Fatalf("PlanUpcoming: %v %v", up, err)
	}
	first, second, third := up[0], up[1], up[2]
	e.at(start.Add(-time.Hour))
	e.runDue(1) // reminders for the first
	if _, err := e.store.SetRSVP(e.ctx, testGuild, first.ID, "m1", circles.RSVPSkip, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.SetRSVP(e.ctx, testGuild, second.ID, "m1", circles.RSVPGoing, e.clock.Now()); err != nil {
		t.Fatal(err)
	}

	// Only the length changes: both kept as they were, but longer.
	e.at(start.Add(-30 * time.Minute))
	c = e.changeSchedule(c, func(r *circles.Rule) { r.Duration = 90 * time.Minute })
	got := e.session(first.ID)
	if got.State != circles.SessionPlanned || !got.End.Equal(start.Add(90*time.Minute)) || !got.RemindersSent || !got.DueAt.Equal(start) {
		t.Fatalf("first session after a longer duration: %+v", got)
	}
	if rs, err := e.store.RSVPs(e.ctx, first.ID); err != nil || len(rs) != 1 || rs[0].Status != circles.RSVPSkip {
		t.Fatalf("RSVPs after a longer duration: %+v %v", rs, err)
	}
	if got := e.session(second.ID); !got.End.Equal(second.Start.Add(90*time.Minute)) || !got.DueAt.Equal(second.Start.Add(-time.Hour)) {
		t.Fatalf("second session after a longer duration: %+v", got)
	}
	if n := len(e.sessions(c, circles.SessionPlanned)); n != 3 {
		t.Fatalf("%d planned sessions, want the same 3", n)
	}
	e.wantCalls(call{Step: StepRemind, Session: first.ID})

	// An hour later: none fits any more. The people of the reminded one
	// and of the one with an RSVP are told, with the new next session; the
	// third goes quietly.
	c = e.changeSchedule(c, func(r *circles.Rule) { r.Hour = 20 })
	planned := e.sessions(c, circles.SessionPlanned)
	if len(planned) != 1 || !planned[0].Start.Equal(start.Add(time.Hour)) || !planned[0].End.Equal(start.Add(150*time.Minute)) {
		t.Fatalf("planned after moving to 20:00: %+v", planned)
	}
	e.wantCalls(call{Step: StepRemind, Session: first.ID},
		call{Step: callMoved, Session: first.ID, Next: planned[0].ID},
		call{Step: callMoved, Session: second.ID, Next: planned[0].ID})
	for _, id := range []int64{first.ID, second.ID, third.ID} {
		if _, err := e.store.Session(e.ctx, id); circles.ErrorCode(err) != circles.ENotFound {
			t.Fatalf("session %d is still there: %v", id, err)
		}
		if !slices.Contains(e.act.forgotten(), id) {
			t.Fatalf("dropped session %d was not forgotten", id)
		}
	}

	// The new session goes through its life at the new time.
	e.at(start)
	e.runDue(1) // its reminders, an hour ahead
	e.at(start.Add(time.Hour))
	e.runDue(2) // the open and the first prompt
	if got := e.session(planned[0].ID); got.State != circles.SessionOpen {
		t.Fatalf("at the new time: %+v", got)
	}
}

// A schedule changed while a session is open applies from the next one: no
// second session of the circle opens while the first runs, and the first
// keeps its length.
func TestScheduleChangeDuringOpenSession(t *testing.T) {
	e := newEnv(t)
	c, s := e.openedTuesday()
	e.at(start.Add(10 * time.Minute))
	c = e.changeSchedule(c, func(r *circles.Rule) { r.Minute = 30; r.Duration = 2 * time.Hour })

	planned := e.sessions(c, circles.SessionPlanned)
	nextWeek := start.AddDate(0, 0, 7).Add(30 * time.Minute)
	if len(planned) != 1 || !planned[0].Start.Equal(nextWeek) {
		t.Fatalf("planned after the change: %+v, want next week at 19:30", planned)
	}
	if up, err := e.sched.Upcoming(e.ctx, c, 1); err != nil || len(up) != 1 || !up[0].Start.Equal(nextWeek) {
		t.Fatalf("Upcoming: %+v %v, want next week at 19:30", up, err)
	}
	if got := e.session(s.ID); got.State != circles.SessionOpen || !got.End.Equal(end) {
		t.Fatalf("the open session: %+v", got)
	}
	for at := start.Add(11 * time.Minute); !at.After(end.Add(time.Hour)); at = at.Add(time.Minute) {
		e.at(at)
		if _, err := e.sched.RunDue(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(e.sessions(c, circles.SessionOpen)); n > 1 {
			t.Fatalf("%d sessions open at %v", n, at)
		}
	}
	if e.act.count(StepOpen) != 1 {
		t.Fatalf("calls %v, want one open", e.act.Calls())
	}
}

// /circle open records the facilitator who ran it as going before the
// session opens, so the facilitator-presence gate sees them.
func TestOpenNowRecordsTheOpenerFirst(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	e.at(start) // the regular session's very second
	var going []string
	e.act.onOpen = func(sess circles.Session) {
		rs, err := e.store.RSVPs(e.ctx, sess.ID)
		if err != nil {
			t.Error(err)
		}
		for _, r := range rs {
			if r.Status == circles.RSVPGoing {
				going = append(going, r.UserID)
			}
		}
	}
	opened, err := e.sched.OpenNow(e.ctx, testGuild, c.ID, "fac1")
	if err != nil || opened.ID != s.ID {
		t.Fatalf("OpenNow: %+v %v", opened, err)
	}
	if len(going) != 1 || going[0] != "fac1" {
		t.Fatalf("going when the open began: %v, want the opener", going)
	}
}

// An ad-hoc open that can't succeed is given up: skipped, nothing due, the
// next session planned. One that has a channel can't be.
func TestSkipSession(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	regular := e.plan(c)
	e.at(start.Add(-20 * time.Minute))
	e.act.failNext(StepOpen, 1)
	adhoc, err := e.sched.OpenNow(e.ctx, testGuild, c.ID, "")
	if err == nil || adhoc.ID == 0 || adhoc.State != circles.SessionPlanned {
		t.Fatalf("failed OpenNow: %+v %v", adhoc, err)
	}
	got, err := e.sched.SkipSession(e.ctx, adhoc.ID)
	if err != nil || got.State != circles.SessionSkipped || !got.DueAt.IsZero() {
		t.Fatalf("SkipSession: %+v %v", got, err)
	}
	if e.session(regular.ID).State != circles.SessionSkipped { // the ad-hoc one took its place
		t.Fatal("the overlapped regular session was not skipped")
	}
	if p := e.sessions(c, circles.SessionPlanned); len(p) != 1 || !p[0].Start.Equal(start.AddDate(0, 0, 7)) {
		t.Fatalf("planned after giving up: %+v, want next week", p)
	}
	next := e.sessions(c, circles.SessionPlanned)[0]
	if _, err := e.store.UpdateSession(e.ctx, next.ID, func(s *circles.Session) error { s.ChannelID = "chan"; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sched.SkipSession(e.ctx, next.ID); circles.ErrorCode(err) != circles.EConflict {
		t.Fatalf("SkipSession of a session with a channel: %v, want EConflict", err)
	}
}
