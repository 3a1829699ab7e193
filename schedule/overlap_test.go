package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// nightRule meets at 01:00 and 04:00 in Berlin for three hours: three hours
// apart on the clock, but on 28 March 2027 the clocks go forward at 02:00,
// and 01:00 CET (00:00 UTC) to 04:00 CEST (02:00 UTC) is two hours.
var nightRule = circles.Rule{Cron: "0 1,4 * * *", TimeZone: "Europe/Berlin", Duration: 3 * time.Hour}

var (
	night1 = utc(2027, time.March, 28, 0, 0) // 01:00 CET, until 03:00 UTC
	night2 = utc(2027, time.March, 28, 2, 0) // 04:00 CEST: the first still runs
	night3 = utc(2027, time.March, 28, 23, 0)
)

const nightWhy = "on Sun 28 Mar 2027 the clocks in Europe/Berlin go forward 1 hour (daylight saving time), so the session starting at 01:00 would last until 05:00, past the start of the next one at 04:00"

// A rule saved before the overlap check, with both sessions of that night
// already planned as the scheduler used to plan them and someone going to
// the second: the second can't be held, and instead of opening a second
// channel beside the first (or vanishing once the first begins), its
// people are told and it is called off. The first runs as usual.
func TestOverlappedSessionIsToldNotDropped(t *testing.T) {
	e := newEnv(t)
	e.at(utc(2027, time.March, 27, 22, 0))
	c := e.circle(testGuild, "Night circle", nightRule)
	if err := ValidateRule(c.Schedule, e.clock.Now()); err == nil {
		t.Fatal("the rule is accepted now; this test is about one saved before the check")
	}
	e.join(c, "m1")
	var planned []circles.Session
	for _, at := range []time.Time{night1, night2} {
		s, _, err := e.store.EnsureSession(e.ctx, circles.Session{GuildID: testGuild, CircleID: c.ID, Start: at, End: at.Add(3 * time.Hour), State: circles.SessionPlanned, DueAt: at.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		planned = append(planned, s)
	}
	first, second := planned[0], planned[1]
	if _, err := e.store.SetRSVP(e.ctx, testGuild, second.ID, "m1", circles.RSVPGoing, e.clock.Now()); err != nil {
		t.Fatal(err)
	}

	// The bot starts: the second is found out at once, hours ahead.
	if err := e.sched.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.wantCalls(call{Step: StepOverlap, Session: second.ID, Next: first.ID})
	if why := e.act.why(second.ID); why != nightWhy {
		t.Fatalf("why %q\nwant %q", why, nightWhy)
	}
	if got := e.session(second.ID); got.State != circles.SessionSkipped || !got.DueAt.IsZero() {
		t.Fatalf("second session after telling: %+v", got)
	}

	// Through the night: the first is reminded, opens and closes; the
	// second never does.
	for e.clock.Now().Before(utc(2027, time.March, 28, 6, 0)) {
		e.clock.Advance(15 * time.Minute)
		if _, err := e.sched.RunDue(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, cl := range e.act.Calls()[1:] {
		if cl.Session != first.ID {
			t.Fatalf("calls %v: only the first session may go ahead", e.act.Calls())
		}
	}
	if e.act.count(StepOpen) != 1 {
		t.Fatalf("calls %v: the first session should have opened", e.act.Calls())
	}
	if got := e.session(first.ID); got.State != circles.SessionDeleted {
		t.Fatalf("first session after the night: %+v", got)
	}
	if next := e.sessions(c, circles.SessionPlanned); len(next) == 0 || !next[0].Start.Equal(night3) {
		t.Fatalf("planned after the night %+v, want the next evening's", next)
	}
}

// Planned as usual by the scheduler of today: the session that would start
// while the one before it runs is never offered (the next three sessions
// pass over it), and its facilitators hear of it when the one before is
// planned — not when it fails to appear.
func TestOverlapToldWhenPlanned(t *testing.T) {
	e := newEnv(t)
	e.at(utc(2027, time.March, 27, 12, 0))
	c := e.circle(testGuild, "Night circle", nightRule)
	if got := e.plan(c); !got.Start.Equal(night1) {
		t.Fatalf("planned %v, want %v", got.Start, night1)
	}
	e.runDue(1)
	overlapped := e.sessions(c, circles.SessionSkipped)
	if len(overlapped) != 1 || !overlapped[0].Start.Equal(night2) {
		t.Fatalf("skipped %+v, want the one at %v", overlapped, night2)
	}
	e.wantCalls(call{Step: StepOverlap, Session: overlapped[0].ID, Next: 1})

	up, err := e.sched.PlanUpcoming(e.ctx, c, 3)
	if err != nil {
		t.Fatal(err)
	}
	occ, err := e.sched.Upcoming(e.ctx, c, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{night1, night3, night3.Add(3 * time.Hour)} // the next night has no change
	for i := range want {
		if !up[i].Start.Equal(want[i]) || !occ[i].Start.Equal(want[i]) {
			t.Fatalf("next sessions %v / %v, want %v", up, occ, want)
		}
	}
	e.runDue(0) // nothing else overlaps
}

// When the session before it is called off first, the one it would have
// run into can be held after all, and goes ahead like any other.
func TestOverlapGoneWhenTheEarlierIsSkipped(t *testing.T) {
	e := newEnv(t)
	e.at(utc(2027, time.March, 27, 12, 0))
	c := e.circle(testGuild, "Night circle", nightRule)
	e.plan(c)
	skipped, err := e.sched.Skip(e.ctx, testGuild, c.ID)
	if err != nil || !skipped.Start.Equal(night1) {
		t.Fatalf("skip: %+v %v", skipped, err)
	}
	e.runDue(0)
	planned := e.sessions(c, circles.SessionPlanned)
	if len(planned) != 1 || !planned[0].Start.Equal(night2) || !planned[0].DueAt.Equal(night2.Add(-time.Hour)) {
		t.Fatalf("planned %+v, want the 04:00 one with its reminders due", planned)
	}
	e.at(night2.Add(-time.Hour))
	e.runDue(1) // reminders
	e.at(night2)
	e.runDue(1) // the open
	if got := e.session(planned[0].ID); got.State != circles.SessionOpen {
		t.Fatalf("second session %+v", got)
	}
	if n := e.act.count(StepOverlap); n != 0 {
		t.Fatalf("%d overlap calls, want none", n)
	}
}

// Telling is a step like the others: when it fails it is retried, and the
// session stays uncalled-off until it succeeds.
func TestOverlapTellingIsRetried(t *testing.T) {
	e := newEnv(t)
	e.at(utc(2027, time.March, 27, 12, 0))
	c := e.circle(testGuild, "Night circle", nightRule)
	e.plan(c)
	e.act.failNext(StepOverlap, 1)
	e.runDue(0)
	overlapped := e.sessions(c, circles.SessionPlanned)
	if len(overlapped) != 2 || overlapped[1].DueAt.After(e.clock.Now().Add(DefaultRetryDelay)) {
		t.Fatalf("planned after a failed telling %+v", overlapped)
	}
	e.clock.Advance(DefaultRetryDelay)
	e.runDue(1)
	if got := e.session(overlapped[1].ID); got.State != circles.SessionSkipped {
		t.Fatalf("after the retry %+v", got)
	}
	if !strings.Contains(e.act.why(overlapped[1].ID), "go forward 1 hour") {
		t.Fatalf("why %q", e.act.why(overlapped[1].ID))
	}
}
