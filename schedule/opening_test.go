package schedule

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// An open that lets people in but fails at the pin or the welcome counts as
// open: the first prompt follows at once, and the rest of the opening is
// retried aside — reported stuck after StuckAfter failures, counted apart
// from the steps (a prompt that works in between does not reset it), and
// never in the way of the next prompt.
func TestPartlyOpenIsFinishedAside(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	e.act.openPartly = 1
	e.act.failNext(StepFinishOpen, 3)
	e.at(start)
	e.runDue(2) // the open and the first prompt
	got := e.session(s.ID)
	if got.State != circles.SessionOpen || !got.OpeningPending || got.PromptsPosted != 1 || !got.DueAt.Equal(start.Add(time.Minute)) {
		t.Fatalf("after a partial open: %+v, want open, opening pending, due in a minute", got)
	}
	for _, at := range []time.Time{start.Add(time.Minute), start.Add(2 * time.Minute), start.Add(3 * time.Minute), start.Add(5 * time.Minute)} {
		if due := e.session(s.ID).DueAt; !due.Equal(at) {
			t.Fatalf("due %v, want the next try of the opening at %v", due, at)
		}
		e.at(at)
		e.runDue(0) // work aside is not a step
	}
	if got := e.session(s.ID); got.OpeningPending || !got.DueAt.Equal(prompt1) {
		t.Fatalf("after the opening was finished: %+v, want the mark cleared and the next prompt due", got)
	}
	e.at(prompt1)
	e.runDue(1)
	e.wantCalls(
		call{Step: StepOpen, Session: s.ID},
		call{Step: StepPrompt, Session: s.ID, Index: 0},
		call{Step: StepFinishOpen, Session: s.ID},
		call{Step: StepFinishOpen, Session: s.ID},
		call{Step: callStuck, Session: s.ID, Of: StepFinishOpen},
		call{Step: StepFinishOpen, Session: s.ID},
		call{Step: StepFinishOpen, Session: s.ID},
		call{Step: StepPrompt, Session: s.ID, Index: 1},
	)
}

// Finishing an opening that keeps failing never delays the session's
// prompts, warning or close.
func TestFailingOpeningNeverDelaysSteps(t *testing.T) {
	e := newEnv(t)
	c := e.tuesdayCircle()
	s := e.plan(c)
	e.act.openPartly = 1
	e.act.failNext(StepFinishOpen, 1000)
	e.at(start)
	e.runDue(2)
	e.runWhile(s.ID, circles.SessionOpen)
	if got := e.act.when(StepPrompt); !slices.Equal(got, []time.Time{start, prompt1, prompt2}) {
		t.Fatalf("prompts at %v, want on time; calls %v", got, e.act.Calls())
	}
	if warned, closed := e.act.when(StepWarn), e.act.when(StepClose); !slices.Equal(warned, []time.Time{warning}) || !slices.Equal(closed, []time.Time{end}) {
		t.Fatalf("warned at %v, closed at %v; want %v and %v", warned, closed, warning, end)
	}
	if n := e.act.count(StepFinishOpen); n < 5 {
		t.Fatalf("%d tries to finish the opening, want it retried", n)
	}
}

// A session stuck opening — its channel made, never recorded open — is
// closed by CloseNow like an open one, and finished by OpenNow instead of
// starting a second session.
func TestStuckOpeningCanBeClosedOrFinished(t *testing.T) {
	stuck := func(e *env) (circles.Circle, circles.Session) {
		c := e.tuesdayCircle()
		s := e.plan(c)
		e.act.failNext(StepOpen, 1)
		e.at(start)
		e.runDue(0)
		// What the bot records the moment it has made the channel.
		if _, err := e.store.UpdateSession(e.ctx, s.ID, func(cur *circles.Session) error {
			cur.ChannelID = "chan-made"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		e.at(start.Add(10 * time.Second))
		return c, s
	}
	t.Run("close", func(t *testing.T) {
		e := newEnv(t)
		c, s := stuck(e)
		closed, err := e.sched.CloseNow(e.ctx, testGuild, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if closed.ID != s.ID || closed.State != circles.SessionClosed || !closed.End.Equal(start.Add(10*time.Second)) {
			t.Fatalf("CloseNow on a session stuck opening: %+v", closed)
		}
		if n := e.act.count(StepOpen); n != 1 {
			t.Fatalf("CloseNow tried to open: %v", e.act.Calls())
		}
	})
	t.Run("open", func(t *testing.T) {
		e := newEnv(t)
		c, s := stuck(e)
		opened, err := e.sched.OpenNow(e.ctx, testGuild, c.ID, "fac1")
		if err != nil {
			t.Fatal(err)
		}
		if opened.ID != s.ID || opened.State != circles.SessionOpen || opened.ChannelID != "chan-made" {
			t.Fatalf("OpenNow on a session stuck opening: %+v, want it finished", opened)
		}
		rsvps, err := e.store.RSVPs(e.ctx, s.ID)
		if err != nil || len(rsvps) != 1 || rsvps[0].UserID != "fac1" {
			t.Fatalf("the facilitator who finished it is not going: %v %v", rsvps, err)
		}
		if n := len(e.sessions(c, circles.SessionOpen)); n != 1 {
			t.Fatalf("%d open sessions, want the one finished", n)
		}
	})
}

// A session channel deleted by hand ends a live session once, plans the
// next, and quietly finishes a closed one; another channel is ignored.
func TestChannelLost(t *testing.T) {
	e := newEnv(t)
	c, s := e.openedTuesday()
	ch := e.session(s.ID).ChannelID
	if _, live, err := e.sched.ChannelLost(e.ctx, s.ID, "some-other-channel"); err != nil || live {
		t.Fatalf("another channel: live %v, %v", live, err)
	}
	if got := e.session(s.ID); got.State != circles.SessionOpen {
		t.Fatalf("another channel's deletion changed the session: %+v", got)
	}
	e.at(start.Add(20 * time.Minute))
	got, live, err := e.sched.ChannelLost(e.ctx, s.ID, ch)
	if err != nil || !live {
		t.Fatalf("lost channel of an open session: live %v, %v", live, err)
	}
	if got.State != circles.SessionDeleted || !got.ChannelLost || !got.ClosedAt.Equal(start.Add(20*time.Minute)) || !got.DueAt.IsZero() {
		t.Fatalf("after the channel was lost: %+v", got)
	}
	if !slices.Contains(e.act.forgotten(), s.ID) {
		t.Fatal("the session was not forgotten")
	}
	if _, live, err := e.sched.ChannelLost(e.ctx, s.ID, ch); err != nil || live {
		t.Fatalf("told twice: live %v, %v", live, err)
	}
	if p := e.sessions(c, circles.SessionPlanned); len(p) != 1 || !p[0].Start.Equal(start.AddDate(0, 0, 7)) {
		t.Fatalf("planned after a lost channel: %+v", p)
	}
	e.runDue(0) // nothing more for the lost session

	// A closed session waiting for its channel's deletion.
	next := e.sessions(c, circles.SessionPlanned)[0]
	e.at(next.Start)
	e.runDue(2)
	e.at(next.End)
	e.runDue(1)
	closed := e.session(next.ID)
	got, live, err = e.sched.ChannelLost(e.ctx, next.ID, closed.ChannelID)
	if err != nil || live || got.State != circles.SessionDeleted || !got.DeleteAt.Equal(closed.DeleteAt) {
		t.Fatalf("lost channel of a closed session: live %v, %v, %+v", live, err, got)
	}
}

// A circle that meets every two hours, with channels kept a day after
// each session, never holds more than MaxLiveChannels: each open first
// deletes the oldest kept channel, ahead of its retention.
func TestLiveChannelsPerCircleAreCapped(t *testing.T) {
	e := newEnv(t)
	if err := e.store.SaveGuildSettings(e.ctx, circles.GuildSettings{GuildID: testGuild, RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	c := e.circle(testGuild, "Often", circles.Rule{Cron: "0 */2 * * *", TimeZone: "UTC", Duration: time.Hour})
	first := e.plan(c)
	var opened []int64
	for i := range 6 {
		s := e.sessions(c, circles.SessionPlanned)[0]
		e.at(first.Start.Add(time.Duration(i) * 2 * time.Hour))
		e.runDue(-1)
		opened = append(opened, s.ID)
		e.at(s.End)
		e.runDue(-1)
	}
	live := 0
	for _, x := range e.sessions(c, circles.SessionOpen, circles.SessionClosed) {
		if x.ChannelID != "" {
			live++
		}
	}
	if live > MaxLiveChannels {
		t.Fatalf("%d live channels, want at most %d", live, MaxLiveChannels)
	}
	deleted := e.act.when(StepDelete)
	if len(deleted) != 6-MaxLiveChannels {
		t.Fatalf("deletions at %v, want the oldest kept ones as new sessions opened", deleted)
	}
	if got := e.session(opened[0]); got.State != circles.SessionDeleted || !got.DeleteAt.After(e.clock.Now()) {
		t.Fatalf("the oldest session %+v, want its channel deleted ahead of its retention", got)
	}
}

func TestCheckFrequency(t *testing.T) {
	now := monday
	f := Frequency{MinGap: time.Hour, PerWeek: 14}
	for _, tc := range []struct {
		cron, zone string
		d          time.Duration
		want       string // "" accepted
	}{
		{"*/15 * * * *", "UTC", 15 * time.Minute, "`*/15 * * * *` would start a session as often as every 15 minutes"},
		{"0 9,13,18 * * *", "UTC", time.Hour, "`0 9,13,18 * * *` would meet 21 times a week"},
		{"0 9,18 * * *", "Europe/Berlin", time.Hour, ""},            // 14 a week
		{"0 19 * * TUE,THU", "America/New_York", 2 * time.Hour, ""}, // twice
		{"30 8 1 * *", "Asia/Kolkata", time.Hour, ""},               // monthly
		{"0 8,9 * * MON-FRI", "UTC", 30 * time.Minute, ""},          // 10 a week, an hour apart
		{"0,30 8 * * MON-FRI", "UTC", 15 * time.Minute, "every 30 minutes"},
	} {
		err := CheckFrequency(circles.Rule{Cron: tc.cron, TimeZone: tc.zone, Duration: tc.d}, f, now)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.cron, err)
		case tc.want != "" && (err == nil || !strings.Contains(circles.ErrorMessage(err), tc.want)):
			t.Errorf("%s: %v, want %q", tc.cron, err, tc.want)
		}
	}
	if err := CheckFrequency(circles.Weekly(time.Tuesday, 19, 0, "UTC", time.Hour), f, now); err != nil {
		t.Errorf("weekly: %v", err)
	}
}

// A week with a daylight-saving change is still a week: twice a day is 14.
func TestCheckFrequencyAcrossDST(t *testing.T) {
	r := circles.Rule{Cron: "0 1,4 * * *", TimeZone: "Europe/Berlin", Duration: 2 * time.Hour}
	if err := CheckFrequency(r, Frequency{}, time.Date(2027, time.March, 27, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
}

// Sessions due at once are worked on round-robin by guild, each guild's
// in its own order.
func TestAcrossGuilds(t *testing.T) {
	due := []circles.Session{{ID: 1, GuildID: "a"}, {ID: 2, GuildID: "a"}, {ID: 3, GuildID: "a"}, {ID: 4, GuildID: "b"}, {ID: 5, GuildID: "c"}, {ID: 6, GuildID: "b"}}
	if got, want := acrossGuilds(due), []int64{1, 4, 5, 2, 6, 3}; !slices.Equal(got, want) {
		t.Fatalf("acrossGuilds = %v, want %v", got, want)
	}
	if got := acrossGuilds(nil); len(got) != 0 {
		t.Fatalf("acrossGuilds(nil) = %v", got)
	}
}
