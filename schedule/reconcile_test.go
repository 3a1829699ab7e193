package schedule

import (
	"slices"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// toPlan lists the circles a start at the clock's time would plan.
func (e *env) toPlan() []int64 {
	e.t.Helper()
	marks, err := e.store.CirclesToPlan(e.ctx, e.clock.Now(), circles.Shards{})
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []int64
	for _, m := range marks {
		ids = append(ids, m.CircleID)
	}
	return ids
}

// A restart plans only the circles that need it: every step that plans
// marks the circle planned, and whatever takes its next session off the
// plan, or changes the circle, brings it back.
func TestReconcilePlansOnlyWhatNeedsIt(t *testing.T) {
	e := newEnv(t)
	tue := e.tuesdayCircle()
	wed := e.circle(testGuild, "Wednesday circle", circles.Weekly(time.Wednesday, 19, 0, "Europe/Berlin", time.Hour), "One")
	thu := e.circle(testGuild, "Thursday circle", circles.Weekly(time.Thursday, 19, 0, "Europe/Berlin", time.Hour), "One")
	if got := e.toPlan(); !slices.Equal(got, []int64{tue.ID, wed.ID, thu.ID}) {
		t.Fatalf("new circles to plan = %v", got)
	}
	if err := e.sched.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []circles.Circle{tue, wed, thu} {
		if p := e.sessions(c, circles.SessionPlanned); len(p) != 1 {
			t.Fatalf("%s planned: %+v", c.Name, p)
		}
	}
	e.restart()
	if got := e.toPlan(); len(got) != 0 {
		t.Fatalf("to plan after a reconcile = %v", got)
	}

	// The schedule changed, but the process stopped before the sessions
	// were reconciled: the next start plans the new occurrence, as it
	// always did.
	if _, _, err := e.store.UpdateCircle(e.ctx, testGuild, wed.ID, func(c *circles.Circle) error { c.Schedule.Hour = 20; return nil }); err != nil {
		t.Fatal(err)
	}
	// A skip plans the one after, and keeps the mark.
	if _, err := e.sched.Skip(e.ctx, testGuild, thu.ID); err != nil {
		t.Fatal(err)
	}
	e.restart()
	if got := e.toPlan(); !slices.Equal(got, []int64{wed.ID}) {
		t.Fatalf("to plan after a schedule change = %v", got)
	}
	if err := e.sched.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	if p := e.sessions(wed, circles.SessionPlanned); len(p) != 2 || p[1].Start.UTC().Hour() != 19 {
		t.Fatalf("planned after the schedule change: %+v", p)
	}
	e.wantCalls()

	// A session opens and the next one is planned: nothing to plan at the
	// next start, even a minute after.
	e.at(start)
	e.runDue(2)
	e.at(start.Add(time.Minute))
	if got := e.toPlan(); len(got) != 0 {
		t.Fatalf("to plan after a session opened = %v", got)
	}
	// Downtime past the next start (Thursday's is the week after: skipped).
	e.restart()
	e.at(start.AddDate(0, 0, 7).Add(time.Minute))
	if got := e.toPlan(); !slices.Equal(got, []int64{tue.ID, wed.ID}) {
		t.Fatalf("to plan after a week down = %v", got)
	}
}
