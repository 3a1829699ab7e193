package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// lcRunUntil drives the scheduler as Run does, waking at each DueAt in
// turn, until end.
func (h *harness) lcRunUntil(end time.Time) {
	h.t.Helper()
	for range 10000 {
		next, ok, err := h.store.NextDue(h.ctx, circles.Shards{})
		if err != nil {
			h.t.Fatal(err)
		}
		if !ok || next.After(end) {
			h.lcAt(end)
			return
		}
		if next.Before(h.clock.Now()) {
			next = h.clock.Now()
		}
		h.lcAt(next)
	}
	h.t.Fatal("the scheduler keeps finding work")
}

// lcDMsWith counts the DMs to user containing all of parts.
func (h *harness) lcDMsWith(user string, parts ...string) int {
	n := 0
	for _, d := range h.sim.DMs(user) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(d.Content, p)
		}
		if all {
			n++
		}
	}
	return n
}

func (h *harness) lcPlanned(c circles.Circle) []circles.Session {
	h.t.Helper()
	ss, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned}})
	if err != nil {
		h.t.Fatal(err)
	}
	return ss
}

const reminderText = "⏰ **"

// TestSessionsScheduleChangeKeepsTheSession: changing only the duration
// after the reminders went out keeps the planned session — its RSVPs and
// its sent reminders — so nobody is reminded twice, the facilitator who
// said going counts for the presence gate, and a skip is respected.
func TestSessionsScheduleChangeKeepsTheSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	m := h.members
	c, s := h.lcCircle("Duration", time.Wednesday, 14, 0, nil)
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcJoin(c, m[1], circles.ModeMember)
	h.lcAt(s.Start.Add(-time.Hour))
	rem := lcLastDM(t, h, h.fac)
	h.click(h.fac, rem.ChannelID, rem.ID, rem.Buttons(), "rsvp", "going")
	rem = lcLastDM(t, h, m[1])
	h.click(m[1], rem.ChannelID, rem.ID, rem.Buttons(), "rsvp", "skip")

	h.clock.Set(s.Start.Add(-30 * time.Minute))
	wantContains(t, responseText(h.reschedule(h.fac, discordsim.O("circle", c.Name), discordsim.O("duration", 90))), "90 minutes")
	got := h.lcSession(s.ID)
	if got.State != circles.SessionPlanned || !got.RemindersSent || !got.End.Equal(s.Start.Add(90*time.Minute)) {
		t.Fatalf("the session after a longer duration: %+v", got)
	}
	h.lcAt(s.Start.Add(-29 * time.Minute))
	for _, u := range []string{m[0], m[1], h.fac} {
		if n := h.lcDMsWith(u, reminderText); n != 1 {
			t.Errorf("%s got %d reminders for one session", u, n)
		}
	}
	h.lcAt(s.Start)
	got = h.lcSession(s.ID)
	if got.State != circles.SessionOpen {
		t.Fatalf("not open at the start: %+v", got)
	}
	if texts := h.lcBotMessages(got.ChannelID); lcCount(texts, gateText) != 0 {
		t.Errorf("presence notice although the facilitator said going: %q", texts)
	}
	welcome := h.lcBotMessage(got.ChannelID, "👋")
	if strings.Contains(welcome.Content, m[1]) || !strings.Contains(welcome.Content, fmt.Sprintf("<t:%d:t>", s.Start.Add(90*time.Minute).Unix())) {
		t.Errorf("welcome %q: pings the member who said skip, or not the new end", welcome.Content)
	}
}

// TestSessionsScheduleMoveTellsTheReminded: moving the time after the
// reminders went out replaces the session; who was reminded or answered is
// told the new time, the old reminder's buttons say the session moved, and
// the session happens at the new time only.
func TestSessionsScheduleMoveTellsTheReminded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	m := h.members
	c, s := h.lcCircle("Movers", time.Wednesday, 14, 0, nil)
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcJoin(c, m[1], circles.ModeMember)
	if err := h.store.SetReminders(h.ctx, h.guild, c.ID, m[1], false, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.lcAt(s.Start.Add(-time.Hour))
	rem := lcLastDM(t, h, m[0])
	h.click(m[0], rem.ChannelID, rem.ID, rem.Buttons(), "rsvp", "going")

	h.clock.Set(s.Start.Add(-30 * time.Minute))
	h.reschedule(h.fac, discordsim.O("circle", c.Name), discordsim.O("time", "15:00"))
	later := s.Start.Add(time.Hour)
	for _, u := range []string{m[0], h.fac} {
		if n := h.lcDMsWith(u, "isn't happening at that time", fmt.Sprintf("<t:%d:F>", s.Start.Unix()), fmt.Sprintf("<t:%d:F>", later.Unix())); n != 1 {
			t.Errorf("%s got %d moved DMs: %+v", u, n, h.sim.DMs(u))
		}
	}
	if n := h.lcDMsWith(m[1], "isn't happening"); n != 0 {
		t.Errorf("the member with reminders off, who didn't answer, was told")
	}
	wantContains(t, h.click(m[0], rem.ChannelID, rem.ID, rem.Buttons(), "rsvp", "skip").Content, "can't find that session")
	if p := h.lcPlanned(c); len(p) != 1 || !p[0].Start.Equal(later) {
		t.Fatalf("planned after the move: %+v", p)
	}
	h.lcRunUntil(later.Add(10 * time.Minute))
	if len(h.lcSessionChannels(s.ID)) != 0 {
		t.Fatal("the moved session opened at its old time")
	}
	open, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
	if err != nil || len(open) != 1 || !open[0].Start.Equal(later) {
		t.Fatalf("open at the new time: %+v %v", open, err)
	}
}

// TestSessionsScheduleMoveTellsWhoAnsweredAhead: a schedule change that
// drops a session weeks ahead, before any reminder, tells whoever RSVP'd
// for it, and nobody else.
func TestSessionsScheduleMoveTellsWhoAnsweredAhead(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	m := h.members
	c, _ := h.lcCircle("Planners", time.Wednesday, 14, 0, nil)
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcJoin(c, m[1], circles.ModeMember)
	up, err := h.bot.Scheduler().PlanUpcoming(h.ctx, c, 3)
	if err != nil || len(up) != 3 {
		t.Fatalf("PlanUpcoming: %+v %v", up, err)
	}
	if _, err := h.store.SetRSVP(h.ctx, h.guild, up[2].ID, m[0], circles.RSVPGoing, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.reschedule(h.fac, discordsim.O("circle", c.Name), discordsim.O("time", "15:00"))
	if n := h.lcDMsWith(m[0], "isn't happening at that time", fmt.Sprintf("<t:%d:F>", up[2].Start.Unix())); n != 1 {
		t.Errorf("the member who RSVP'd got %d moved DMs: %+v", n, h.sim.DMs(m[0]))
	}
	for _, u := range []string{m[0], m[1], h.fac} {
		if n := h.lcDMsWith(u, "isn't happening"); u != m[0] && n != 0 || u == m[0] && n != 1 {
			t.Errorf("%s got %d moved DMs; only the one RSVP'd session is told of, to who answered", u, n)
		}
	}
}

// TestSessionsScheduleChangeWhileOpen: a schedule moved to later the same
// day while a session is open applies from the next session; no second
// session opens alongside the first.
func TestSessionsScheduleChangeWhileOpen(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c, s := h.lcWithMember(24, 0, "Mover")
	h.lcAt(s.Start)
	h.clock.Set(s.Start.Add(10 * time.Minute))
	text := responseText(h.reschedule(h.fac, discordsim.O("circle", c.Name), discordsim.O("time", "14:30")))
	today, nextWeek := s.Start.Add(30*time.Minute), s.Start.AddDate(0, 0, 7).Add(30*time.Minute)
	if strings.Contains(text, fmt.Sprintf("<t:%d:", today.Unix())) || !strings.Contains(text, fmt.Sprintf("<t:%d:F>", nextWeek.Unix())) {
		t.Fatalf("the reply lists today's 14:30 or not next week's: %q", text)
	}
	h.lcRunUntil(s.End.Add(time.Minute))
	all, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range all {
		if x.ID != s.ID && x.ChannelID != "" {
			t.Fatalf("a second session opened: %+v", x)
		}
	}
	if p := h.lcPlanned(c); len(p) != 1 || !p[0].Start.Equal(nextWeek) {
		t.Fatalf("planned %+v, want next week at 14:30", p)
	}
}

// TestSessionsOpenAtTheStartSecond: a facilitator running /circle open in
// the very second a regular session starts is present for the gate: no
// notice, no alert to them.
func TestSessionsOpenAtTheStartSecond(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c, s := h.lcWithMember(24, 0, "Exact")
	h.clock.Set(s.Start)
	wantContains(t, h.run(h.fac, "circle open", discordsim.O("circle", c.Name)).Content, "Opened a session")
	s = h.lcSession(s.ID)
	if texts := h.lcBotMessages(s.ChannelID); lcCount(texts, gateText) != 0 || h.lcAlerts(h.fac, s.ChannelID) != 0 || s.FacilitatorAlerted {
		t.Fatalf("the opener was treated as absent: messages %q, alerts %d, %+v", texts, h.lcAlerts(h.fac, s.ChannelID), s)
	}
}

// TestSessionsOpenBlocked: /circle open when the bot may not create the
// channel, or the category is full or gone, says what to fix and leaves
// nothing half-open; once fixed it works.
func TestSessionsOpenBlocked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	c, _ := h.lcCircle("Blocked", time.Friday, 14, 0, nil)
	h.lcJoin(c, h.members[0], circles.ModeMember)
	botRole := h.sim.BotRoleID(h.guild)
	h.sim.SetRolePermissions(h.guild, botRole, discordgo.PermissionViewChannel|discordgo.PermissionSendMessages)

	open := func() string { return h.run(h.fac, "circle open", discordsim.O("circle", c.Name)).Content }
	wantContains(t, open(), "circlebot is missing **Manage Channels** and **Manage Roles** in <#"+h.category+">", "turn on **Manage Channels** for the **circlebot** role", "Nothing was opened", "/circle open again")
	wantContains(t, h.run(h.fac, "circle close", discordsim.O("circle", c.Name)).Content, "no open session")
	all, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, x := range all {
		if x.State == circles.SessionOpen || x.ChannelID != "" {
			t.Fatalf("left half-open: %+v", x)
		}
		if x.State == circles.SessionSkipped {
			skipped++
		}
	}
	if skipped != 1 {
		t.Fatalf("sessions %+v, want the ad-hoc one given up", all)
	}

	h.sim.SetRolePermissions(h.guild, botRole, discordsim.BotPermissions)
	for i := range 50 {
		h.sim.AddChannel(h.guild, discordgo.ChannelTypeGuildText, fmt.Sprintf("filler-%d", i), h.category)
	}
	h.clock.Advance(time.Minute)
	// A full category overflows into "Circles 2" rather than refuse.
	wantContains(t, open(), "Opened a session")
	open1, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
	if err != nil || len(open1) != 1 {
		t.Fatalf("open sessions %+v %v", open1, err)
	}
	if ch, _ := h.sim.Channel(open1[0].ChannelID); ch.ParentID == h.category {
		t.Fatalf("opened in the full category: %+v", ch)
	} else if parent, _ := h.sim.Channel(ch.ParentID); parent.Name != "Circles 2" {
		t.Fatalf("opened in %+v, want the overflow category", parent)
	}
	wantContains(t, h.run(h.fac, "circle close", discordsim.O("circle", c.Name)).Content, "Closed the session")

	if _, err := h.bot.Session().ChannelDelete(h.category); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	wantContains(t, open(), "no longer exists", "`/setup category:`", "Nothing was opened")

	h.run(h.admin, "setup", discordsim.O("category", h.sim.AddCategory(h.guild, "Circles again")))
	h.clock.Advance(time.Minute)
	wantContains(t, open(), "Opened a session")
}

// TestSessionsCategoryGone: a category deleted before a session is reported
// to the facilitators at reminder time, with what to do, and not again when
// the open fails; the missed session is put down to it, not to the bot
// being offline.
func TestSessionsCategoryGone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, s := h.lcWithMember(24, 60, "NoCat")
	if _, err := h.bot.Session().ChannelDelete(h.category); err != nil {
		t.Fatal(err)
	}
	h.lcRunUntil(s.Start.Add(20 * time.Minute))
	if got := h.lcSession(s.ID); got.State != circles.SessionMissed {
		t.Fatalf("session %+v, want missed", got)
	}
	if n := h.lcDMsWith(h.fac, "no longer exists", "`/setup category:`"); n != 2 {
		t.Errorf("%d DMs with the advice, want the reminder-time warning and the missed notice: %+v", n, h.sim.DMs(h.fac))
	}
	if n := h.lcDMsWith(h.fac, "can't open as things stand"); n != 1 {
		t.Errorf("%d warnings before the start", n)
	}
	if n := h.lcDMsWith(h.fac, "I can't open"); n != 0 {
		t.Errorf("the stuck open repeated the warning")
	}
	if n := h.lcDMsWith(h.fac, "didn't open", "Why: I couldn't create its channel"); n != 1 || h.lcDMsWith(h.fac, "offline") != 0 {
		t.Errorf("missed DMs: %+v", h.sim.DMs(h.fac))
	}
}

// TestSessionsStuckClose: a close that keeps failing because the bot lost
// View Channel on the session channel is reported to the facilitators once,
// with what to fix, retried less and less often, and done once fixed.
func TestSessionsStuckClose(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	_, s := h.lcOpened("Locked out")
	if err := h.bot.Session().ChannelPermissionSet(s.ChannelID, h.sim.BotUserID(), discordgo.PermissionOverwriteTypeMember, 0, discordgo.PermissionViewChannel); err != nil {
		t.Fatal(err)
	}
	before := len(h.sim.Requests())
	h.lcRunUntil(s.End.Add(3 * time.Hour))
	if got := h.lcSession(s.ID); got.State != circles.SessionOpen {
		t.Fatalf("closed without access? %+v", got)
	}
	// The warning gets stuck first, then the close, on the same problem:
	// one message about it.
	if n := h.lcDMsWith(h.fac, "I can't post the warning in the session of **Locked out**", "circlebot is missing **View Channel** in <#"+s.ChannelID+">", "allow **View Channel** for circlebot in the permissions of the channel <#"+s.ChannelID+"> (Edit Channel → Permissions)"); n != 1 || h.lcDMsWith(h.fac, "I can't") != 1 {
		t.Fatalf("%d stuck DMs, want 1: %+v", n, h.sim.DMs(h.fac))
	}
	// Three tries a minute apart, then 2, 4, 8, … minutes (for the warning,
	// then the close): a dozen or so in three hours, not one a minute.
	gets := 0
	for _, r := range h.sim.Requests()[before:] {
		if r.Method == "GET" && r.Path == "/channels/"+s.ChannelID {
			gets++
		}
	}
	if gets > 20 {
		t.Fatalf("%d attempts in three hours", gets)
	}
	h.sim.SetRolePermissions(h.guild, h.sim.BotRoleID(h.guild), discordgo.PermissionAdministrator)
	h.lcRunUntil(s.End.Add(5 * time.Hour))
	if got := h.lcSession(s.ID); got.State == circles.SessionOpen || h.sim.CanSend(h.members[0], s.ChannelID) {
		t.Fatalf("not closed once fixed: %+v", got)
	}
}

// TestSessionsCloseNowReply: /circle close says the channel is deleted when
// the server keeps none, and otherwise when it will be.
func TestSessionsCloseNowReply(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c, s := h.lcWithMember(0, 0, "Zero")
	h.lcAt(s.Start)
	h.clock.Set(s.Start.Add(20 * time.Minute))
	r := h.run(h.fac, "circle close", discordsim.O("circle", c.Name))
	if _, alive := h.sim.Channel(h.lcSession(s.ID).ChannelID); alive || strings.Contains(r.Content, "will be deleted") {
		t.Fatalf("alive %v, reply %q", alive, r.Content)
	}
	wantContains(t, r.Content, "has been deleted")

	h.run(h.admin, "setup", discordsim.O("retention_hours", 24))
	h.run(h.fac, "circle open", discordsim.O("circle", c.Name))
	h.clock.Advance(10 * time.Minute)
	r = h.run(h.fac, "circle close", discordsim.O("circle", c.Name))
	wantContains(t, r.Content, "is locked and will be deleted", fmt.Sprintf("<t:%d:R>", h.clock.Now().Add(24*time.Hour).Unix()))
}

// TestSessionsRetentionFromTheEnd: a session closed late after downtime
// keeps its channel for the retention after the session's end, says when,
// and one long overdue is deleted at once.
func TestSessionsRetentionFromTheEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	c, s := h.lcOpened("Down")
	h.lcRestartAt(s.End.Add(2 * time.Hour))
	deleteAt := s.End.Add(24 * time.Hour)
	if got := h.lcSession(s.ID); got.State != circles.SessionClosed || !got.DeleteAt.Equal(deleteAt) {
		t.Fatalf("closed late: %+v, want deletion at %v", got, deleteAt)
	}
	texts := h.lcBotMessages(s.ChannelID)
	wantContains(t, texts[len(texts)-1], fmt.Sprintf("<t:%d:F>", deleteAt.Unix()), "24 hours after the session ended")
	h.lcAt(deleteAt.Add(-time.Second))
	if _, alive := h.sim.Channel(s.ChannelID); !alive {
		t.Fatal("deleted early")
	}
	h.lcAt(deleteAt)
	if _, alive := h.sim.Channel(s.ChannelID); alive {
		t.Fatal("not deleted 24 hours after the session")
	}

	next := h.lcPlanned(c)[0]
	h.lcAt(next.Start)
	next = h.lcSession(next.ID)
	h.lcRestartAt(next.Start.Add(72 * time.Hour))
	if _, alive := h.sim.Channel(next.ChannelID); alive || h.lcSession(next.ID).State != circles.SessionDeleted {
		t.Fatal("a session that ended 71 hours ago kept its channel (retention 24 hours)")
	}
}

// TestSessionsFacilitatorRemindersOff: a facilitator who is also a member
// and turned reminders off gets none; another facilitator still does.
func TestSessionsFacilitatorRemindersOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	c, s := h.lcCircle("FacOff", time.Wednesday, 14, 0, func(c *circles.Circle) { c.Facilitators = append(c.Facilitators, h.fac2) })
	h.lcJoin(c, h.fac, circles.ModeMember)
	if err := h.store.SetReminders(h.ctx, h.guild, c.ID, h.fac, false, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.lcAt(s.Start.Add(-time.Hour))
	if n := h.lcDMsWith(h.fac, reminderText); n != 0 {
		t.Errorf("facilitator with reminders off got %d reminders", n)
	}
	if n := h.lcDMsWith(h.fac2, reminderText); n != 1 {
		t.Errorf("the other facilitator got %d reminders", n)
	}
}

// TestSessionsClosingNoteAfterArchive: a session that ends after its
// circle was archived says so in its closing note.
func TestSessionsClosingNoteAfterArchive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	c, s := h.lcOpened("Last one")
	h.clickOn(h.fac, h.run(h.fac, "circle archive", discordsim.O("circle", c.Name)), "archive", "confirm")
	h.lcAt(s.End)
	texts := h.lcBotMessages(s.ChannelID)
	closing := texts[len(texts)-1]
	wantContains(t, closing, "has been archived", "last session")
	if strings.Contains(closing, "No next session") {
		t.Fatalf("closing note %q", closing)
	}
}

// TestSessionsLateOpenWarning: a session opened late (the bot was down at
// its start) says how many minutes are really left, and nothing when under
// two are.
func TestSessionsLateOpenWarning(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	quarter := func(c *circles.Circle) {
		c.Schedule.Duration = 15 * time.Minute
		c.Prompts = []string{"a", "b"}
	}
	c1, s1 := h.lcCircle("Three left", time.Wednesday, 14, 0, quarter)
	c2, s2 := h.lcCircle("One left", time.Wednesday, 13, 58, quarter)
	h.lcJoin(c1, h.members[0], circles.ModeMember)
	h.lcJoin(c2, h.members[0], circles.ModeMember)
	h.lcRestartAt(s1.Start.Add(12 * time.Minute))
	h.lcRunUntil(s1.End)
	texts := h.lcBotMessages(h.lcSession(s1.ID).ChannelID)
	if lcCount(texts, "⏳ **3 minutes left.**") != 1 || lcCount(texts, "⏳") != 1 {
		t.Errorf("opened with 3 minutes left: %q", texts)
	}
	if texts := h.lcBotMessages(h.lcSession(s2.ID).ChannelID); len(texts) == 0 || lcCount(texts, "⏳") != 0 || lcCount(texts, "🔒") != 1 {
		t.Errorf("opened with 1 minute left: %q", texts)
	}
}
