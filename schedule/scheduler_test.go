package schedule

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// The test circle's first session: Tuesday 1 Dec 2026, 19:00–20:00 CET.
var (
	start   = time.Date(2026, time.December, 1, 18, 0, 0, 0, time.UTC)
	end     = start.Add(time.Hour)
	prompt1 = start.Add(18*time.Minute + 20*time.Second) // (60m − 5m warning) / 3 prompts
	prompt2 = start.Add(36*time.Minute + 40*time.Second)
	warning = end.Add(-5 * time.Minute)
)

func TestSessionLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	if !s.Start.Equal(start) || !s.End.Equal(end) || s.State != circles.SessionPlanned {
		t.Fatalf("planned %+v", s)
	}
	if !s.DueAt.Equal(start.Add(-time.Hour)) {
		t.Fatalf("planned session due %v, want the reminder an hour before the start", s.DueAt)
	}
	if again := e.plan(c); again.ID != s.ID {
		t.Fatalf("Plan is not idempotent: %d then %d", s.ID, again.ID)
	}

	e.runDue(0) // nothing due yet
	e.at(start.Add(-time.Hour))
	e.runDue(1)
	e.wantCalls(call{Step: StepRemind, Session: s.ID})
	if got := e.session(s.ID); !got.RemindersSent || !got.DueAt.Equal(start) {
		t.Fatalf("after reminder: %+v", got)
	}

	// Two wakes at the same moment, concurrently and then again: one open.
	e.at(start)
	e.act.delay = 5 * time.Millisecond
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 3 {
		wg.Go(func() {
			n, err := e.sched.RunDue(e.ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	e.runDue(0)
	if total != 2 || e.act.count(StepOpen) != 1 {
		t.Fatalf("open ran %d times in %d steps, want once, and the first prompt", e.act.count(StepOpen), total)
	}
	got := e.session(s.ID)
	if got.State != circles.SessionOpen || got.ChannelID != "chan-"+itoa(s.ID) || got.PromptsPosted != 1 || !got.WelcomePosted || !got.OpenedAt.Equal(start) {
		t.Fatalf("after open: %+v", got)
	}
	if !got.DueAt.Equal(prompt1) {
		t.Fatalf("open session due %v, want the second prompt at %v", got.DueAt, prompt1)
	}
	planned := e.sessions(c, circles.SessionPlanned)
	if len(planned) != 1 || !planned[0].Start.Equal(start.AddDate(0, 0, 7)) {
		t.Fatalf("after open, planned = %+v, want next Tuesday", planned)
	}
	next := planned[0]

	e.at(prompt1)
	e.runDue(1)
	e.at(prompt2)
	e.runDue(1)
	e.at(warning)
	e.runDue(1)
	if got := e.session(s.ID); got.PromptsPosted != 3 || !got.WarningSent || !got.DueAt.Equal(end) {
		t.Fatalf("after warning: %+v", got)
	}
	e.at(end)
	e.runDue(1)
	got = e.session(s.ID)
	if got.State != circles.SessionClosed || !got.ClosedAt.Equal(end) || !got.DeleteAt.Equal(end.Add(2*time.Hour)) || !got.DueAt.Equal(got.DeleteAt) {
		t.Fatalf("after close: %+v", got)
	}
	e.at(end.Add(2*time.Hour - time.Second))
	e.runDue(0)
	e.at(end.Add(2 * time.Hour))
	e.runDue(1)
	got = e.session(s.ID)
	if got.State != circles.SessionDeleted || !got.DueAt.IsZero() {
		t.Fatalf("after delete: %+v", got)
	}
	e.wantCalls(
		call{Step: StepRemind, Session: s.ID},
		call{Step: StepOpen, Session: s.ID},
		call{Step: StepPrompt, Session: s.ID, Index: 0},
		call{Step: StepPrompt, Session: s.ID, Index: 1},
		call{Step: StepPrompt, Session: s.ID, Index: 2},
		call{Step: StepWarn, Session: s.ID},
		call{Step: StepClose, Session: s.ID, Next: next.ID},
		call{Step: StepDelete, Session: s.ID},
	)
	// The only thing left pending is the next session's reminder.
	due, ok, err := e.store.NextDue(e.ctx, circles.Shards{})
	if err != nil || !ok || !due.Equal(next.Start.Add(-time.Hour)) {
		t.Fatalf("NextDue = %v %v %v, want next week's reminder", due, ok, err)
	}
}

func TestShiftNotice(t *testing.T) {
	e := newEnv(t)
	e.at(time.Date(2027, time.March, 25, 12, 0, 0, 0, time.UTC))
	c := e.circle(testGuild, "Night owls", circles.Weekly(time.Sunday, 2, 30, "Europe/Berlin", time.Hour))
	s := e.plan(c)
	if s.Shift == "" || !s.Start.Equal(time.Date(2027, time.March, 28, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("planned %+v, want a shifted 03:00 CEST start", s)
	}
	e.runDue(1) // the notice goes out at once; the reminder waits
	e.wantCalls(call{Step: StepShiftNotice, Session: s.ID})
	if got := e.session(s.ID); !got.ShiftNoticeSent || !got.DueAt.Equal(s.Start.Add(-time.Hour)) {
		t.Fatalf("after notice: %+v", got)
	}
	e.runDue(0)
}

func TestSkipAndUpcoming(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	first := e.plan(c)
	skipped, err := e.sched.Skip(e.ctx, testGuild, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if skipped.ID != first.ID || skipped.State != circles.SessionSkipped || !skipped.DueAt.IsZero() {
		t.Fatalf("skipped %+v", skipped)
	}
	planned := e.sessions(c, circles.SessionPlanned)
	if len(planned) != 1 || !planned[0].Start.Equal(start.AddDate(0, 0, 7)) {
		t.Fatalf("after skip, planned %+v, want the week after", planned)
	}
	if again := e.plan(c); again.ID != planned[0].ID {
		t.Fatal("Plan after Skip planned something else")
	}
	up, err := e.sched.Upcoming(e.ctx, c, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(up) != 3 || !up[0].Start.Equal(start.AddDate(0, 0, 7)) || !up[2].Start.Equal(start.AddDate(0, 0, 21)) {
		t.Fatalf("upcoming %v", up)
	}
	// Nothing happens at the skipped session's time.
	e.at(start)
	e.runDue(0)
	if _, err := e.sched.Skip(e.ctx, "other-guild", c.ID); circles.ErrorCode(err) != circles.ENotFound {
		t.Fatalf("skip from another guild: %v", err)
	}
}

// PlanUpcoming stores the next occurrences, passing over a skipped one, with
// the due times the scheduler gives them, and is idempotent.
func TestPlanUpcoming(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	e.plan(c)
	if _, err := e.sched.Skip(e.ctx, testGuild, c.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.sched.PlanUpcoming(e.ctx, c, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("planned %d sessions, want 3", len(got))
	}
	for i, s := range got {
		want := start.AddDate(0, 0, 7*(i+1)) // the first week is skipped
		if !s.Start.Equal(want) || s.State != circles.SessionPlanned || s.ID == 0 {
			t.Fatalf("session %d: %+v, want planned at %v", i, s, want)
		}
		if !s.DueAt.Equal(want.Add(-time.Hour)) { // the guild's 60-minute reminder
			t.Fatalf("session %d due %v, want its reminder time", i, s.DueAt)
		}
	}
	again, err := e.sched.PlanUpcoming(e.ctx, c, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if again[i].ID != got[i].ID {
			t.Fatalf("second call planned anew: %+v vs %+v", again, got)
		}
	}
	if n := len(e.sessions(c, circles.SessionPlanned)); n != 3 {
		t.Fatalf("%d planned rows, want 3", n)
	}
	if up, err := e.sched.PlanUpcoming(e.ctx, circles.Circle{ID: c.ID, Archived: true}, 3); err != nil || len(up) != 0 {
		t.Fatalf("an archived circle: %v %v", up, err)
	}
}

func TestOpenNowCloseNow(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	regular := e.plan(c)
	now := time.Date(2026, time.December, 1, 12, 0, 0, int(500*time.Millisecond), time.UTC)
	e.at(now)
	s, err := e.sched.OpenNow(e.ctx, testGuild, c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.State != circles.SessionOpen || !s.Start.Equal(now.Truncate(time.Second)) || !s.End.Equal(s.Start.Add(time.Hour)) || s.ChannelID == "" {
		t.Fatalf("OpenNow: %+v", s)
	}
	if _, err := e.sched.OpenNow(e.ctx, testGuild, c.ID, ""); circles.ErrorCode(err) != circles.EConflict {
		t.Fatalf("second OpenNow: %v, want EConflict", err)
	}
	if got := e.session(regular.ID); got.State != circles.SessionPlanned {
		t.Fatalf("the evening session (not overlapping) is %s", got.State)
	}
	e.at(now.Add(10 * time.Minute))
	closed, err := e.sched.CloseNow(e.ctx, testGuild, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if closed.ID != s.ID || closed.State != circles.SessionClosed || !closed.End.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("CloseNow: %+v", closed)
	}
	if _, err := e.sched.CloseNow(e.ctx, testGuild, c.ID); circles.ErrorCode(err) != circles.EConflict {
		t.Fatalf("second CloseNow: %v, want EConflict", err)
	}
	e.wantCalls(call{Step: StepOpen, Session: s.ID}, call{Step: StepPrompt, Session: s.ID}, call{Step: StepClose, Session: s.ID, Next: regular.ID})

	// Opened shortly before a planned session: the ad-hoc one replaces it.
	e.at(start.Add(-20 * time.Minute))
	adhoc, err := e.sched.OpenNow(e.ctx, testGuild, c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.session(regular.ID); got.State != circles.SessionSkipped {
		t.Fatalf("overlapped session is %s, want skipped", got.State)
	}
	e.at(start)
	e.runDue(2) // the first ad-hoc channel's deletion and the second's prompt; the skipped one does not open
	if e.act.count(StepOpen) != 2 || adhoc.State != circles.SessionOpen {
		t.Fatalf("opens: %v", e.act.Calls())
	}
	if _, err := e.sched.OpenNow(e.ctx, "other-guild", c.ID, ""); circles.ErrorCode(err) != circles.ENotFound {
		t.Fatalf("OpenNow from another guild: %v", err)
	}
}

func TestRetryAfterFailure(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	e.at(start)
	e.act.failNext(StepRemind, 1) // irrelevant: the start has come, reminders are moot
	e.act.failNext(StepOpen, 1)
	e.runDue(0)
	got := e.session(s.ID)
	if got.State != circles.SessionPlanned || !got.DueAt.Equal(start.Add(time.Minute)) {
		t.Fatalf("after a failed open: %+v, want planned and due in a minute", got)
	}
	e.runDue(0) // not again before the retry delay
	e.at(start.Add(time.Minute))
	e.runDue(2) // the open and the first prompt
	got = e.session(s.ID)
	if got.State != circles.SessionOpen || got.PromptsPosted != 1 || !got.OpenedAt.Equal(start.Add(time.Minute)) {
		t.Fatalf("after retry: %+v", got)
	}
	if n := e.act.count(StepOpen); n != 2 {
		t.Fatalf("OpenSession called %d times, want 2 (fail, retry)", n)
	}
	if e.act.count(StepRemind) != 0 {
		t.Fatal("reminders were sent after the start")
	}

	e.act.failNext(StepPrompt, 1)
	e.at(prompt1)
	e.runDue(0)
	e.at(prompt1.Add(time.Minute))
	e.runDue(1)
	if got := e.session(s.ID); got.PromptsPosted != 2 {
		t.Fatalf("prompts posted %d after a failed and a retried prompt, want 2", got.PromptsPosted)
	}
}

// A step that keeps failing is retried every RetryDelay three times, then
// reported stuck once and retried less and less often, up to an hour
// apart. A success ends the run; the next step's failures count afresh.
func TestStuckStepBacksOff(t *testing.T) {
	e := newEnv(t)
	_, s := e.openedTuesday()
	e.at(warning)
	e.runDue(1) // the warning (the prompts' time has passed)
	e.act.failNext(StepClose, 10)
	var waits []time.Duration
	for range 10 {
		e.at(e.session(s.ID).DueAt)
		before := e.clock.Now()
		e.runDue(0)
		if n := e.act.count(callStuck); n != min(len(waits)+1, 3)/3 {
			t.Fatalf("after %d failures %d stuck reports", len(waits)+1, n)
		}
		waits = append(waits, e.session(s.ID).DueAt.Sub(before))
	}
	want := []time.Duration{1, 1, 1, 2, 4, 8, 16, 32, 60, 60}
	for i := range want {
		want[i] *= time.Minute
	}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	// The close succeeds; the delete, due at once (the retention counts
	// from the end, hours ago), fails three times.
	e.act.failNext(StepDelete, 3)
	e.at(e.session(s.ID).DueAt)
	e.runDue(1)
	if got := e.session(s.ID); got.State != circles.SessionClosed {
		t.Fatalf("after the close succeeded: %+v", got)
	}
	for range 2 {
		e.at(e.session(s.ID).DueAt)
		e.runDue(0)
	}
	var stuck []call
	for _, cl := range e.act.Calls() {
		if cl.Step == callStuck {
			stuck = append(stuck, cl)
		}
	}
	if len(stuck) != 2 || stuck[0].Of != StepClose || stuck[1].Of != StepDelete {
		t.Fatalf("stuck reports %v, want the close's and then the delete's", stuck)
	}
	if got := e.session(s.ID); !got.DueAt.Equal(e.clock.Now().Add(time.Minute)) {
		t.Fatalf("retry of a fresh run of failures at %v, want in a minute", got.DueAt)
	}
}

// A session whose open kept failing is reported missed with the cause;
// one missed while the bot was down, without.
func TestMissedSessionCause(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	e.at(start)
	e.act.failNext(StepOpen, 100)
	for e.session(s.ID).State == circles.SessionPlanned {
		e.at(e.session(s.ID).DueAt)
		if _, err := e.sched.RunDue(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	calls := e.act.Calls()
	if last := calls[len(calls)-1]; last != (call{Step: StepMissed, Session: s.ID, Cause: true}) {
		t.Fatalf("calls %v, want the last to be missed with a cause", calls)
	}
	next := e.sessions(c, circles.SessionPlanned)[0]
	e.restart()
	e.at(next.Start.Add(time.Hour))
	if err := e.sched.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	if calls := e.act.Calls(); len(calls) == 0 || calls[0] != (call{Step: StepMissed, Session: next.ID}) {
		t.Fatalf("calls after downtime %v, want missed without a cause", calls)
	}
}

func TestPanicInStepIsRecovered(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	e.at(start.Add(-time.Hour))
	e.act.panics[StepRemind] = 1
	e.runDue(0)
	if got := e.session(s.ID); got.RemindersSent || !got.DueAt.Equal(start.Add(-time.Hour+time.Minute)) {
		t.Fatalf("after a panicking step: %+v", got)
	}
	e.at(start.Add(-time.Hour + time.Minute))
	e.runDue(1)
}

func TestRestartMidSession(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	e.at(start)
	e.runDue(2) // the reminder is moot at the start; open, first prompt
	e.at(prompt1)
	e.runDue(1)
	e.restart()
	e.at(prompt2)
	if err := e.sched.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.wantCalls(call{Step: StepPrompt, Session: s.ID, Index: 2})
	e.at(warning)
	e.runDue(1)
	e.at(end)
	e.runDue(1)
	e.wantCalls(
		call{Step: StepPrompt, Session: s.ID, Index: 2},
		call{Step: StepWarn, Session: s.ID},
		call{Step: StepClose, Session: s.ID, Next: e.sessions(c, circles.SessionPlanned)[0].ID},
	)
}

func TestDowntime(t *testing.T) {
	t.Run("past grace: missed", func(t *testing.T) {
		e := newEnv(t)
		c := e.tuesdayCircle()
		s := e.plan(c)
		e.restart()
		e.at(start.Add(16 * time.Minute))
		if err := e.sched.Reconcile(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.wantCalls(call{Step: StepMissed, Session: s.ID})
		if got := e.session(s.ID); got.State != circles.SessionMissed || !got.DueAt.IsZero() {
			t.Fatalf("missed session: %+v", got)
		}
		if p := e.sessions(c, circles.SessionPlanned); len(p) != 1 || !p[0].Start.Equal(start.AddDate(0, 0, 7)) {
			t.Fatalf("planned after a miss: %+v", p)
		}
	})
	t.Run("within grace: opened late", func(t *testing.T) {
		e := newEnv(t)
		c := e.tuesdayCircle()
		s := e.plan(c)
		e.restart()
		e.at(start.Add(14 * time.Minute))
		if err := e.sched.Reconcile(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.wantCalls(call{Step: StepOpen, Session: s.ID}, call{Step: StepPrompt, Session: s.ID})
		if got := e.session(s.ID); got.State != circles.SessionOpen || !got.DueAt.Equal(prompt1) {
			t.Fatalf("late session: %+v", got)
		}
	})
	t.Run("long past the end: closed and deleted in one wake", func(t *testing.T) {
		e := newEnv(t)
		// A guild without settings: DefaultSettings apply (no reminders, no retention).
		c := e.circle("unknown-guild", "Quiet circle", circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", time.Hour), "One", "Two", "Three")
		s := e.plan(c)
		if !s.DueAt.Equal(start) {
			t.Fatalf("without a reminder lead the session is due %v, want its start", s.DueAt)
		}
		e.at(start.Add(5 * time.Minute))
		e.runDue(2) // open, first prompt
		e.restart()
		e.at(end.Add(3 * time.Hour))
		if err := e.sched.Reconcile(e.ctx); err != nil {
			t.Fatal(err)
		}
		// Prompts and the warning are moot by now.
		e.wantCalls(call{Step: StepClose, Session: s.ID, Next: e.sessions(c, circles.SessionPlanned)[0].ID}, call{Step: StepDelete, Session: s.ID})
	})
	t.Run("prompts missed while down: only the current one", func(t *testing.T) {
		e := newEnv(t)
		c := e.tuesdayCircle()
		s := e.plan(c)
		e.at(start)
		e.runDue(2)
		e.restart()
		e.at(prompt2.Add(time.Minute))
		e.runDue(1)
		e.wantCalls(call{Step: StepPrompt, Session: s.ID, Index: 2})
	})
}

func TestArchivedCircle(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	archive := func() {
		t.Helper()
		if _, _, err := e.store.UpdateCircle(e.ctx, testGuild, c.ID, func(c *circles.Circle) error {
			c.Archived = true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// An open session of a circle archived meanwhile closes normally.
	e.at(start)
	e.runDue(2)
	next := e.sessions(c, circles.SessionPlanned)[0]
	archive()
	e.at(end)
	e.runDue(1) // prompts and warning are moot at the end: close
	calls := e.act.Calls()
	last := calls[len(calls)-1]
	if last != (call{Step: StepClose, Session: s.ID}) {
		t.Fatalf("last call %v, want a close with no next session", last)
	}
	// The planned one is cancelled when it comes due, with no side effects.
	before := len(e.act.Calls())
	e.at(next.Start.Add(-time.Hour))
	e.runDue(2) // the old channel's deletion, and the cancel
	if got := e.session(next.ID); got.State != circles.SessionSkipped || !got.DueAt.IsZero() {
		t.Fatalf("planned session of an archived circle: %+v", got)
	}
	if calls := e.act.Calls()[before:]; len(calls) != 1 || calls[0] != (call{Step: StepDelete, Session: s.ID}) {
		t.Fatalf("cancelling called actions: %v", calls)
	}
	if _, err := e.sched.Plan(e.ctx, c.ID); circles.ErrorCode(err) != circles.EConflict {
		t.Fatalf("Plan for an archived circle: %v", err)
	}
	if up, err := e.sched.Upcoming(e.ctx, circles.Circle{ID: c.ID, Archived: true}, 3); err != nil || len(up) != 0 {
		t.Fatalf("Upcoming for an archived circle: %v %v", up, err)
	}
}

func TestRunLoop(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error)
	go func() { done <- e.sched.Run(ctx) }()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			if ok() {
				return
			}
			e.sched.Kick()
			time.Sleep(2 * time.Millisecond)
		}
		t.Fatalf("Run did not %s; calls %v", what, e.act.Calls())
	}
	e.at(start)
	waitFor("open the session", func() bool { return e.act.count(StepOpen) == 1 && e.act.count(StepPrompt) == 1 })
	e.act.mu.Lock()
	e.act.panics[StepPrompt] = 1
	e.act.mu.Unlock()
	e.at(prompt1)
	// The retry is set from the clock after the panic is recovered; wait
	// for it before moving the clock, or the retry lands a minute later.
	waitFor("survive a panic", func() bool {
		return e.act.count(StepPrompt) == 2 && e.session(s.ID).DueAt.Equal(prompt1.Add(DefaultRetryDelay))
	})
	e.at(prompt1.Add(DefaultRetryDelay))
	waitFor("retry the prompt", func() bool { return e.session(s.ID).PromptsPosted == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

func TestNextAction(t *testing.T) {
	c := circles.Circle{Prompts: []string{"a", "b", "c"}}
	g := circles.GuildSettings{ReminderMinutes: 60, RetentionHours: 2}
	planned := circles.Session{State: circles.SessionPlanned, Start: start, End: end}
	shifted := planned
	shifted.Shift = "moved"
	reminded := planned
	reminded.RemindersSent = true
	open := circles.Session{State: circles.SessionOpen, Start: start, End: end, PromptsPosted: 1}
	allPrompts := open
	allPrompts.PromptsPosted = 3
	warned := allPrompts
	warned.WarningSent = true
	closed := circles.Session{State: circles.SessionClosed, Start: start, End: end, ClosedAt: end, DeleteAt: end.Add(2 * time.Hour)}
	withChannel := planned
	withChannel.ChannelID = "chan"
	openedUnrecorded := withChannel
	openedUnrecorded.OpenedAt = start
	grace := 15 * time.Minute
	tests := []struct {
		name     string
		c        circles.Circle
		g        circles.GuildSettings
		s        circles.Session
		now      time.Time
		wantStep Step
		wantAt   time.Time
	}{
		{"remind ahead", c, g, planned, monday, StepRemind, start.Add(-time.Hour)},
		{"no reminders configured", c, circles.GuildSettings{}, planned, monday, StepOpen, start},
		{"shift notice first", c, g, shifted, monday, StepShiftNotice, monday},
		{"reminded: open", c, g, reminded, monday, StepOpen, start},
		{"reminder moot at start", c, g, planned, start, StepOpen, start},
		{"late within grace", c, g, planned, start.Add(grace), StepOpen, start},
		{"missed", c, g, planned, start.Add(grace + time.Second), StepMissed, start.Add(grace + time.Second)},
		{"archived before opening", circles.Circle{Archived: true}, g, planned, monday, StepCancel, monday},
		{"channel made: open past the grace window", c, g, withChannel, start.Add(grace + time.Minute), StepOpen, start},
		{"opened, not recorded: open past the grace window", c, g, openedUnrecorded, start.Add(grace + time.Minute), StepOpen, start},
		{"channel made, archived since: still open", circles.Circle{Archived: true}, g, withChannel, start.Add(time.Minute), StepOpen, start},
		{"channel made, past the end: close", c, g, withChannel, end, StepClose, end},
		{"next prompt", c, g, open, start, StepPrompt, prompt1},
		{"prompts skipped at warning", c, g, open, warning, StepWarn, warning},
		{"warning", c, g, allPrompts, start, StepWarn, warning},
		{"close", c, g, warned, start, StepClose, end},
		{"opened late, 3 minutes left: warn now", c, g, allPrompts, end.Add(-3 * time.Minute), StepWarn, warning},
		{"2 minutes left: still warned", c, g, allPrompts, end.Add(-MinWarningLeft), StepWarn, warning},
		{"under 2 minutes left: no warning", c, g, allPrompts, end.Add(-MinWarningLeft + time.Second), StepClose, end},
		{"overdue close skips the warning", c, g, allPrompts, end, StepClose, end},
		{"no prompts, short session: straight to close", circles.Circle{}, g, circles.Session{State: circles.SessionOpen, Start: start, End: start.Add(10 * time.Minute)}, start, StepClose, start.Add(10 * time.Minute)},
		{"delete after retention", c, g, closed, end, StepDelete, end.Add(2 * time.Hour)},
		{"done", c, g, circles.Session{State: circles.SessionDeleted}, end, StepNone, time.Time{}},
		{"skipped", c, g, circles.Session{State: circles.SessionSkipped}, end, StepNone, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, at := NextAction(tt.c, tt.g, tt.s, tt.now, grace)
			if step != tt.wantStep || !at.Equal(tt.wantAt) {
				t.Fatalf("NextAction = %s at %v, want %s at %v", step, at, tt.wantStep, tt.wantAt)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestZoneChangeReplans(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	berlin := e.plan(c)
	c, _, err := e.store.UpdateCircle(e.ctx, testGuild, c.ID, func(c *circles.Circle) error {
		c.Schedule.TimeZone = "America/New_York"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sched.ScheduleChanged(e.ctx, c); err != nil {
		t.Fatal(err)
	}
	ny := e.plan(c)
	if !berlin.Start.Equal(start) || !ny.Start.Equal(start.Add(6*time.Hour)) {
		t.Fatalf("after moving to New York: %+v, want 19:00 EST (6 hours later)", ny)
	}
	if p := e.sessions(c, circles.SessionPlanned); len(p) != 1 {
		t.Fatalf("planned sessions after the zone change: %+v", p)
	}
}

// A planned row without DueAt (written by something other than Plan) would
// never open; Plan puts it back on the due index.
func TestPlanRepairsMissingDueAt(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s, _, err := e.store.EnsureSession(e.ctx, circles.Session{GuildID: testGuild, CircleID: c.ID, Start: start, End: end, State: circles.SessionPlanned})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.plan(c); got.ID != s.ID || !got.DueAt.Equal(start.Add(-time.Hour)) {
		t.Fatalf("Plan returned %+v", got)
	}
}

func TestRemovedGuildIsLeftAlone(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	if err := e.store.GuildRemoved(e.ctx, testGuild, monday); err != nil {
		t.Fatal(err)
	}
	e.at(start)
	e.runDue(0)
	if got := e.session(s.ID); got.State != circles.SessionPlanned || !got.DueAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("session of a removed guild: %+v", got)
	}
	// Added back: the next look picks the session up again (here: missed).
	if _, err := e.store.GuildSeen(e.ctx, testGuild, "owner", circles.GuildSettings{}, start); err != nil {
		t.Fatal(err)
	}
	e.at(start.Add(time.Hour))
	e.runDue(1)
	e.wantCalls(call{Step: StepMissed, Session: s.ID})
}

// An open that got as far as the channel is finished however late, never
// marked missed: a missed session's channel would be left behind, never
// closed or deleted.
func TestPartialOpenIsFinished(t *testing.T) {
	// partial records on the row what an interrupted OpenSession would have:
	// the channel, and for done also that it finished (OpenedAt).
	partial := func(t *testing.T, e *env, id int64, done bool) {
		t.Helper()
		if _, err := e.store.UpdateSession(e.ctx, id, func(cur *circles.Session) error {
			cur.ChannelID = "chan-partial"
			if done {
				cur.OpenedAt = start
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// restartAt plans a session with partial progress, then restarts the
	// scheduler at a moment and reconciles.
	restartAt := func(t *testing.T, done bool, at time.Time) (*env, circles.Circle, circles.Session) {
		t.Helper()
		e := newEnv(t)
		c := e.tuesdayCircle()
		s := e.plan(c)
		partial(t, e, s.ID, done)
		e.restart()
		e.at(at)
		if err := e.sched.Reconcile(e.ctx); err != nil {
			t.Fatal(err)
		}
		return e, c, s
	}
	t.Run("open failing after its channel was made, past the grace window", func(t *testing.T) {
		e := newEnv(t)
		c := e.tuesdayCircle()
		s := e.plan(c)
		e.at(start)
		e.act.failNext(StepOpen, 30)
		partial(t, e, s.ID, false)
		for m := time.Duration(0); m <= 20; m++ {
			e.at(start.Add(m * time.Minute))
			e.runDue(0) // a retry whenever due, failing
		}
		// Retried at 0, 1 and 2 minutes (stuck), then backing off: 3, 5, 9, 17.
		if e.act.count(StepMissed) != 0 || e.act.count(StepOpen) != 7 || e.act.count(callStuck) != 1 {
			t.Fatalf("calls %v, want only retried opens", e.act.Calls())
		}
		e.act.failNext(StepOpen, 0)
		e.at(e.session(s.ID).DueAt)
		e.runDue(2) // open, then the prompt whose time has passed
		got := e.session(s.ID)
		if got.State != circles.SessionOpen || got.ChannelID != "chan-partial" {
			t.Fatalf("after the open succeeded: %+v", got)
		}
		e.at(end)
		e.runDue(1)
		e.at(end.Add(2 * time.Hour))
		e.runDue(1)
		if got := e.session(s.ID); got.State != circles.SessionDeleted {
			t.Fatalf("channel of a late open not deleted: %+v", got)
		}
	})
	t.Run("opened but not recorded, restart past the grace window", func(t *testing.T) {
		e, _, s := restartAt(t, true, start.Add(20*time.Minute))
		calls := e.act.Calls()
		if len(calls) == 0 || calls[0] != (call{Step: StepOpen, Session: s.ID}) || e.act.count(StepMissed) != 0 {
			t.Fatalf("calls %v, want the open finished first", calls)
		}
		if got := e.session(s.ID); got.State != circles.SessionOpen || got.ChannelID != "chan-partial" {
			t.Fatalf("after reconcile: %+v", got)
		}
	})
	t.Run("channel made, restart after the end: closed and deleted", func(t *testing.T) {
		// Retention (2 hours) counts from the session's end, which was 3
		// hours ago: the channel goes straight after the close.
		e, c, s := restartAt(t, false, end.Add(3*time.Hour))
		next := e.sessions(c, circles.SessionPlanned)
		if len(next) != 1 {
			t.Fatalf("planned %+v", next)
		}
		e.wantCalls(call{Step: StepClose, Session: s.ID, Next: next[0].ID}, call{Step: StepDelete, Session: s.ID})
		if got := e.session(s.ID); got.State != circles.SessionDeleted || !got.DeleteAt.Equal(end.Add(2*time.Hour)) {
			t.Fatalf("after the close: %+v", got)
		}
	})
	t.Run("a session whose channel exists can't be skipped", func(t *testing.T) {
		e := newEnv(t)
		c := e.tuesdayCircle()
		s := e.plan(c)
		partial(t, e, s.ID, false)
		if _, err := e.sched.Skip(e.ctx, testGuild, c.ID); circles.ErrorCode(err) != circles.EConflict {
			t.Fatalf("Skip = %v, want EConflict", err)
		}
		if got := e.session(s.ID); got.State != circles.SessionPlanned {
			t.Fatalf("skipped anyway: %+v", got)
		}
	})
}

// setZoneSQL writes a circle's time zone behind the store's back, as a
// hand edit or an old bug might have.
func (e *env) setZoneSQL(id int64, zone string) {
	e.t.Helper()
	db, err := sql.Open("sqlite3", e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(e.ctx, `UPDATE circles SET timezone = ? WHERE id = ?`, zone, id); err != nil {
		e.t.Fatal(err)
	}
}

// A circle that can't be planned fails Reconcile's report but not the
// others, and is planned again in the background, less often while it
// keeps failing.
func TestReconcileRetriesFailedPlans(t *testing.T) {
	e := newEnv(t)
	good := e.tuesdayCircle()
	bad := e.circle(testGuild, "Broken", circles.Weekly(time.Wednesday, 19, 0, "Europe/Berlin", time.Hour))
	e.setZoneSQL(bad.ID, "Mars/Olympus_Mons")
	err := e.sched.Reconcile(e.ctx)
	if err == nil || !strings.Contains(err.Error(), "1 of 2") {
		t.Fatalf("Reconcile = %v, want a report of 1 of 2 circles failing", err)
	}
	if len(e.sessions(good, circles.SessionPlanned)) != 1 || len(e.sessions(bad)) != 0 {
		t.Fatal("the good circle should be planned and the broken one not")
	}
	planned := func() bool { return len(e.sessions(bad, circles.SessionPlanned)) == 1 }

	e.at(monday.Add(DefaultRetryDelay))
	e.runDue(0) // first retry: still broken; the next waits twice as long
	e.setZoneSQL(bad.ID, "Europe/Berlin")
	e.at(monday.Add(2 * DefaultRetryDelay))
	e.runDue(0)
	if planned() {
		t.Fatal("retried before the doubled wait")
	}
	e.at(monday.Add(3 * DefaultRetryDelay))
	e.runDue(0)
	if !planned() {
		t.Fatal("the mended circle was not planned by the retry")
	}
}

// WakeSoon (a failed access change) makes the next wake re-sync the
// channel's access, retried until it works, without disturbing the steps.
func TestWakeSoonSyncsAccess(t *testing.T) {
	e := newEnv(t)
	c, s := e.openedTuesday()
	e.at(start.Add(time.Minute))
	if err := e.sched.WakeSoon(e.ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.session(s.ID); !got.DueAt.Equal(start.Add(2 * time.Minute)) {
		t.Fatalf("due %v after WakeSoon, want in a minute", got.DueAt)
	}
	e.act.failNext(StepSyncAccess, 1)
	e.at(start.Add(2 * time.Minute))
	e.runDue(0)
	e.at(start.Add(3 * time.Minute))
	e.runDue(0)
	if n := e.act.count(StepSyncAccess); n != 2 {
		t.Fatalf("%d access syncs, want a failed one and its retry; calls %v", n, e.act.Calls())
	}
	if got := e.session(s.ID); !got.DueAt.Equal(prompt1) {
		t.Fatalf("due %v after the sync, want the next prompt %v", got.DueAt, prompt1)
	}
	e.at(prompt1)
	e.runDue(1)
	if n := e.act.count(StepSyncAccess); n != 2 {
		t.Fatalf("a due step also synced by the scheduler: %v", e.act.Calls())
	}
	// A planned session without a channel has no access to sync.
	next := e.sessions(c, circles.SessionPlanned)[0]
	if err := e.sched.WakeSoon(e.ctx, next.ID); err != nil {
		t.Fatal(err)
	}
	e.at(prompt1.Add(time.Minute))
	e.runDue(0)
	if n := e.act.count(StepSyncAccess); n != 2 {
		t.Fatalf("synced a session without a channel: %v", e.act.Calls())
	}
}

// A new reminder lead moves the DueAt of sessions already planned; a new
// retention leaves channels already closed alone.
func TestGuildSettingsChanged(t *testing.T) {
	e := newEnv(t)
	c, s := e.openedTuesday()
	e.at(end)
	e.runDue(1)
	closed := e.session(s.ID)
	next := e.sessions(c, circles.SessionPlanned)[0]
	if !next.DueAt.Equal(next.Start.Add(-time.Hour)) {
		t.Fatalf("planned due %v", next.DueAt)
	}
	for _, tt := range []struct {
		minutes int
		want    time.Time
	}{
		{180, next.Start.Add(-3 * time.Hour)},
		{30, next.Start.Add(-30 * time.Minute)},
		{0, next.Start},
	} {
		if err := e.store.SaveGuildSettings(e.ctx, circles.GuildSettings{GuildID: testGuild, RetentionHours: 48, ReminderMinutes: tt.minutes}); err != nil {
			t.Fatal(err)
		}
		if err := e.sched.GuildSettingsChanged(e.ctx, testGuild); err != nil {
			t.Fatal(err)
		}
		if got := e.session(next.ID); !got.DueAt.Equal(tt.want) {
			t.Fatalf("reminder lead %d min: due %v, want %v", tt.minutes, got.DueAt, tt.want)
		}
	}
	if got := e.session(s.ID); !got.DeleteAt.Equal(closed.DeleteAt) || !got.DueAt.Equal(closed.DueAt) {
		t.Fatalf("closed session rescheduled: %+v, was %+v", got, closed)
	}
	// Raised again: the reminder goes out at the new, earlier time.
	if err := e.store.SaveGuildSettings(e.ctx, circles.GuildSettings{GuildID: testGuild, RetentionHours: 2, ReminderMinutes: 120}); err != nil {
		t.Fatal(err)
	}
	if err := e.sched.GuildSettingsChanged(e.ctx, testGuild); err != nil {
		t.Fatal(err)
	}
	e.at(next.Start.Add(-2 * time.Hour))
	e.runDue(2) // the old channel's deletion, and the reminder
	// The two steps run on parallel workers, in either order.
	if calls := e.act.Calls(); !slices.Contains(calls[len(calls)-2:], call{Step: StepRemind, Session: next.ID}) {
		t.Fatalf("calls %v, want the reminder two hours ahead", calls)
	}
}

// An access re-sync that keeps failing backs off like a step, but never
// past a step that is due: the warning and the close come on time, and the
// re-sync is retried alongside until it works.
func TestFailingResyncNeverDelaysSteps(t *testing.T) {
	e := newEnv(t)
	c := e.circle(testGuild, "No prompts", circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", time.Hour))
	s := e.plan(c)
	e.at(start)
	e.runDue(1)
	e.act.failNext(StepSyncAccess, 1000)
	if err := e.sched.WakeSoon(e.ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	e.runWhile(s.ID, circles.SessionOpen)
	if warned, closed := e.act.when(StepWarn), e.act.when(StepClose); !slices.Equal(warned, []time.Time{warning}) || !slices.Equal(closed, []time.Time{end}) {
		t.Fatalf("warned at %v, closed at %v; want %v and %v; calls %v", warned, closed, warning, end, e.act.Calls())
	}
	// By the warning the re-syncs had backed off past it: 1m, 1m, 1m, 2m,
	// 4m, 8m, 16m, 32m after the first at start+1m.
	if n := e.act.count(StepSyncAccess); n < 8 {
		t.Fatalf("%d re-syncs, want them retried; calls %v", n, e.act.Calls())
	}
	got := e.session(s.ID)
	if !got.AccessDirty || got.State != circles.SessionClosed {
		t.Fatalf("after the close %+v: want closed, access still to re-sync", got)
	}
	var stuck []Step
	for _, cl := range e.act.Calls() {
		if cl.Step == callStuck {
			stuck = append(stuck, cl.Of)
		}
	}
	if !slices.Equal(stuck, []Step{StepSyncAccess}) {
		t.Fatalf("stuck reports %v, want one for the re-sync", stuck)
	}
	// Once a re-sync works the mark is cleared and nothing else is due
	// before the channel's deletion.
	e.act.failNext(StepSyncAccess, 0)
	e.at(got.DueAt)
	e.runDue(0)
	if got := e.session(s.ID); got.AccessDirty || !got.DueAt.Equal(got.DeleteAt) {
		t.Fatalf("after a re-sync that worked %+v: want the mark cleared, due at the deletion", got)
	}
}

// A step that keeps failing is retried less and less often, but a channel
// still closes at the session's end, and a session that can't open is
// marked missed when the grace window ends.
func TestFailingStepNeverDelaysTheEnd(t *testing.T) {
	e := newEnv(t)
	c, s := e.openedTuesday()
	e.act.failNext(StepPrompt, 1000)
	e.runWhile(s.ID, circles.SessionOpen)
	if closed := e.act.when(StepClose); !slices.Equal(closed, []time.Time{end}) {
		t.Fatalf("closed at %v, want %v; calls %v", closed, end, e.act.Calls())
	}

	next := e.sessions(c, circles.SessionPlanned)[0]
	e.act.failNext(StepOpen, 1000)
	e.at(next.Start)
	e.runWhile(next.ID, circles.SessionPlanned)
	// Opens at 0, 1, 2, 3, 5, 9m fail; the retry due at 17m is brought
	// forward to just after the grace window.
	if got := e.session(next.ID); got.State != circles.SessionMissed || !e.clock.Now().Equal(next.Start.Add(DefaultLateOpenGrace+time.Second)) {
		t.Fatalf("at %v: %+v, want missed at the end of the grace window", e.clock.Now(), got)
	}
}

// The scheduler alone writes ClosedAt, before the close's side effect (so
// access changes meanwhile keep the channel locked), and a retried or slow
// close keeps the first time.
func TestClosedAtIsStoredBeforeTheClose(t *testing.T) {
	e := newEnv(t)
	_, s := e.openedTuesday()
	var seen []time.Time
	e.act.onClose = func(s circles.Session) {
		seen = append(seen, s.ClosedAt)
		e.clock.Advance(time.Minute) // Discord is slow
	}
	e.act.failNext(StepClose, 1)
	e.at(end)
	if _, err := e.sched.RunDue(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.session(s.ID); got.State != circles.SessionOpen || !got.ClosedAt.Equal(end) {
		t.Fatalf("after a failed close %+v: want open, with ClosedAt %v", got, end)
	}
	e.at(e.session(s.ID).DueAt)
	if _, err := e.sched.RunDue(e.ctx); err != nil {
		t.Fatal(err)
	}
	got := e.session(s.ID)
	if !slices.Equal(seen, []time.Time{end, end}) || got.State != circles.SessionClosed || !got.ClosedAt.Equal(end) || !got.DeleteAt.Equal(end.Add(2*time.Hour)) {
		t.Fatalf("CloseSession saw ClosedAt %v; stored %+v", seen, got)
	}
}

// What the scheduler keeps in memory about a session's failures goes when
// the session ends for good — deleted, skipped, dropped — or is forgotten
// (a purged guild), and the Actions are told to forget it too.
func TestFinishedSessionsAreForgotten(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	troubled := func(id int64) bool {
		e.sched.mu.Lock()
		defer e.sched.mu.Unlock()
		return e.sched.troubles[troubleKey{session: id}] != nil || e.sched.troubles[troubleKey{session: id, aside: StepSyncAccess}] != nil || e.sched.troubles[troubleKey{session: id, aside: StepFinishOpen}] != nil
	}
	forgot := func(id int64) bool { return slices.Contains(e.act.forgotten(), id) }

	// Deleted after retention, its delete having failed once.
	s := e.plan(c)
	e.at(start)
	e.runDue(2)
	e.at(end)
	e.runDue(1)
	e.act.failNext(StepDelete, 1)
	e.at(end.Add(2 * time.Hour))
	e.runDue(0)
	if !troubled(s.ID) || forgot(s.ID) {
		t.Fatal("a failed delete left no trouble, or was forgotten already")
	}
	e.at(end.Add(2*time.Hour + time.Minute))
	e.runDue(1)
	if troubled(s.ID) || !forgot(s.ID) {
		t.Fatalf("deleted session: troubled %v, forgotten %v", troubled(s.ID), forgot(s.ID))
	}

	// Skipped, after its reminders failed.
	next := e.sessions(c, circles.SessionPlanned)[0]
	e.act.failNext(StepRemind, 1)
	e.at(next.Start.Add(-time.Hour))
	e.runDue(0)
	if !troubled(next.ID) {
		t.Fatal("failed reminders left no trouble")
	}
	if _, err := e.sched.Skip(e.ctx, testGuild, c.ID); err != nil {
		t.Fatal(err)
	}
	if troubled(next.ID) || !forgot(next.ID) {
		t.Fatalf("skipped session: troubled %v, forgotten %v", troubled(next.ID), forgot(next.ID))
	}

	// A failed re-sync, then forgotten with its guild.
	after := e.sessions(c, circles.SessionPlanned)[0]
	e.at(after.Start)
	e.runDue(2)
	if err := e.sched.WakeSoon(e.ctx, after.ID); err != nil {
		t.Fatal(err)
	}
	e.act.failNext(StepSyncAccess, 1)
	e.at(e.session(after.ID).DueAt)
	e.runDue(0)
	if !troubled(after.ID) {
		t.Fatal("a failed re-sync left no trouble")
	}
	e.sched.Forget(after.ID)
	if troubled(after.ID) || !forgot(after.ID) {
		t.Fatalf("forgotten session: troubled %v, forgotten %v", troubled(after.ID), forgot(after.ID))
	}
}
