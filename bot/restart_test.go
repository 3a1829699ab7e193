package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// lcCrash rewinds a session row to how an open that crashed would have left
// it: planned and due, with none of the open's progress recorded — the
// state after "channel created, ID not stored".
func (h *harness) lcCrash(id int64) {
	h.t.Helper()
	_, err := h.store.UpdateSession(h.ctx, id, func(s *circles.Session) error {
		s.State = circles.SessionPlanned
		s.ChannelID, s.GuidelinesMessageID = "", ""
		s.WelcomePosted, s.FacilitatorAlerted = false, false
		s.PromptsPosted = 0
		s.OpenedAt = time.Time{}
		s.DueAt = s.Start
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// lcRestartAt stops the bot, moves the clock (time passes while it's
// down), and starts a new bot on the same database; Start reconciles.
func (h *harness) lcRestartAt(t time.Time) {
	h.t.Helper()
	h.stop()
	h.clock.Set(t)
	h.start()
}

// TestLifecycleKillAndRestart: a crash at any point of the open, then a
// restart, finishes it with one channel and no duplicate message; a restart
// mid-session carries on without repeats and loses no record.
func TestLifecycleKillAndRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	m := h.members
	prompts := []string{"One", "Two", "Three"}
	c, s := h.lcCircle("Harbour", time.Wednesday, 14, 0, func(c *circles.Circle) { c.Prompts = prompts })
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcJoin(c, m[1], circles.ModeListener)
	h.lcAt(s.Start.Add(-time.Hour))
	if _, err := h.store.SetRSVP(h.ctx, h.guild, s.ID, m[0], circles.RSVPGoing, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	reminders := len(h.sim.DMs(m[0]))

	opening := []string{"📜 Guidelines v1", "👋 Welcome", "💬 **Prompt 1 of 3**", "🕊️ **A facilitator may not be here today.**"}
	check := func(when string) circles.Session {
		t.Helper()
		got := h.lcSession(s.ID)
		chans := h.lcSessionChannels(s.ID)
		if len(chans) != 1 || got.ChannelID != chans[0].ID || got.State != circles.SessionOpen {
			t.Fatalf("%s: session %+v, channels %+v", when, got, chans)
		}
		texts := h.lcBotMessages(got.ChannelID)
		if len(texts) != len(opening) {
			t.Fatalf("%s: messages %q", when, texts)
		}
		for i, p := range opening {
			if !strings.HasPrefix(texts[i], p) {
				t.Fatalf("%s: message %d is %q, want %q…", when, i, texts[i], p)
			}
		}
		if pins := h.sim.Pins(got.ChannelID); len(pins) != 1 || pins[0].ID != got.GuidelinesMessageID {
			t.Fatalf("%s: pins %+v, guidelines %s", when, pins, got.GuidelinesMessageID)
		}
		if !h.sim.CanSend(m[0], got.ChannelID) || h.sim.CanSend(m[1], got.ChannelID) || !h.sim.CanView(m[1], got.ChannelID) {
			t.Fatalf("%s: access not restored", when)
		}
		if !got.FacilitatorAlerted || !got.WelcomePosted || got.PromptsPosted != 1 {
			t.Fatalf("%s: progress not recorded %+v", when, got)
		}
		return got
	}

	h.lcAt(s.Start)
	first := check("first open")
	facDMs := len(h.sim.DMs(h.fac))

	// (a) Crash after everything was posted but nothing recorded: the
	// restart finds the channel by its topic marker and the posted
	// messages among the bot's own, and posts nothing twice.
	h.lcCrash(s.ID)
	h.lcRestartAt(s.Start.Add(30 * time.Second))
	if got := check("after crash (a)"); got.ChannelID != first.ChannelID {
		t.Fatalf("a second channel %s", got.ChannelID)
	}

	// (a') Crash right after creating the channel: it exists, with the
	// marker, empty; the restart fills it in once.
	for _, msg := range h.sim.Messages(first.ChannelID) {
		if err := h.bot.Session().ChannelMessageDelete(first.ChannelID, msg.ID); err != nil {
			t.Fatal(err)
		}
	}
	h.lcCrash(s.ID)
	h.lcRestartAt(s.Start.Add(time.Minute))
	if got := check("after crash (a')"); got.ChannelID != first.ChannelID {
		t.Fatalf("a second channel %s", got.ChannelID)
	}

	// (a'') The stored channel was deleted by hand before the open was
	// recorded: a new one is made, and the row points at it.
	if _, err := h.bot.Session().ChannelDelete(first.ChannelID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.UpdateSession(h.ctx, s.ID, func(s *circles.Session) error {
		s.State, s.DueAt = circles.SessionPlanned, s.Start
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.lcRestartAt(s.Start.Add(90 * time.Second))
	if got := check("after the channel was deleted"); got.ChannelID == first.ChannelID {
		t.Fatal("still pointing at the deleted channel")
	}

	// (b) Restarts mid-session: every later step happens exactly once.
	times := circles.PromptTimes(s.Start, s.End, len(prompts))
	h.lcRestartAt(times[1])
	h.lcRestartAt(times[2].Add(time.Minute))
	h.lcAt(times[2].Add(2 * time.Minute)) // nothing new is due
	h.lcRestartAt(s.End.Add(-5 * time.Minute))
	h.lcRestartAt(s.End)
	h.lcAt(s.End.Add(time.Second))
	got := h.lcSession(s.ID)
	texts := h.lcBotMessages(got.ChannelID)
	for prefix, want := range map[string]int{
		"📜 Guidelines": 1, "👋 Welcome": 1, "💬 **Prompt 1 ": 1, "💬 **Prompt 2 ": 1, "💬 **Prompt 3 ": 1,
		"⏳": 1, "🔒 **This session has ended.**": 1, "🕊️": 1,
	} {
		if n := lcCount(texts, prefix); n != want {
			t.Errorf("%d × %q in %q", n, prefix, texts)
		}
	}
	if got.State != circles.SessionClosed || got.PromptsPosted != 3 || !got.WarningSent || !got.RemindersSent || got.DeleteAt.IsZero() {
		t.Fatalf("records after restarts %+v", got)
	}
	if rs, err := h.store.RSVPs(h.ctx, s.ID); err != nil || len(rs) != 1 || rs[0].UserID != m[0] {
		t.Fatalf("RSVPs after restarts %+v %v", rs, err)
	}
	if n := len(h.sim.DMs(m[0])); n != reminders {
		t.Fatalf("member got %d more DMs across restarts", n-reminders)
	}
	// The gate alert went out again only where its notice had not been
	// posted: after (a'), whose channel was empty, and for the channel
	// that replaced the deleted one — not after (a) or any restart.
	if n := len(h.sim.DMs(h.fac)) - facDMs; n != 2 {
		t.Fatalf("facilitator got %d more alerts, want 2", n)
	}
	h.lcAt(got.DeleteAt)
	if len(h.lcSessionChannels(s.ID)) != 0 {
		t.Fatal("channel not deleted after retention")
	}
	if got = h.lcSession(s.ID); got.State != circles.SessionDeleted {
		t.Fatalf("state %s", got.State)
	}
}

// TestLifecycleDowntime: after downtime a session whose start is more than
// the grace window ago is marked missed and facilitators told; one within
// the window opens late.
func TestLifecycleDowntime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	late, ls := h.lcCircle("Late", time.Wednesday, 14, 0, nil)
	fine, fs := h.lcCircle("Fine", time.Wednesday, 14, 10, nil)
	h.lcJoin(late, h.members[0], circles.ModeMember)
	h.lcJoin(fine, h.members[0], circles.ModeMember)

	// Down from before the first start until 20 minutes after it: 10
	// minutes after the second.
	h.lcRestartAt(ls.Start.Add(20 * time.Minute))
	ls, fs = h.lcSession(ls.ID), h.lcSession(fs.ID)
	if ls.State != circles.SessionMissed || ls.ChannelID != "" || len(h.lcSessionChannels(ls.ID)) != 0 {
		t.Fatalf("late session %+v", ls)
	}
	var told bool
	for _, d := range h.sim.DMs(h.fac) {
		told = told || (strings.Contains(d.Content, "Late") && strings.Contains(d.Content, "didn't open"))
	}
	if !told {
		t.Fatalf("facilitator not told of the missed session: %+v", h.sim.DMs(h.fac))
	}
	if fs.State != circles.SessionOpen || fs.ChannelID == "" || !h.sim.CanSend(h.members[0], fs.ChannelID) {
		t.Fatalf("session within grace %+v", fs)
	}
	// Both circles have their next session planned.
	for _, c := range []circles.Circle{late, fine} {
		p, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned}})
		if err != nil || len(p) != 1 {
			t.Fatalf("%s planned %+v %v", c.Name, p, err)
		}
	}
}
