package bot_test

import (
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

func TestGuildLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	// A new server's owner is welcomed once, pointing at /setup.
	if err := h.sim.WaitFor(h.ctx, func() bool { return len(h.sim.DMs(h.admin)) > 0 }); err != nil {
		t.Fatal(err)
	}
	dm := h.sim.DMs(h.admin)[0]
	wantContains(t, dm.Content, "Harbour Community", "/setup", "never stores what people write")
	if dm.AllowedMentions == nil || len(dm.AllowedMentions.Parse) != 0 {
		t.Fatalf("welcome DM may ping: %+v", dm.AllowedMentions)
	}
	h.restart()
	if n := len(h.sim.DMs(h.admin)); n != 1 {
		t.Fatalf("owner welcomed %d times", n)
	}

	// A member leaving the server: memberships withdrawn, waitlist promoted.
	h.memberSetup()
	c := h.memberCircle("Grief circle", 2, true)
	ch := h.memberOpenSession(c)
	a, b, w := h.members[0], h.members[1], h.members[2]
	h.memberJoin(a, c, circles.ModeMember)
	h.memberJoin(b, c, circles.ModeMember)
	h.memberJoin(w, c, circles.ModeMember)
	h.sim.RemoveMember(h.guild, a)
	if err := h.sim.WaitFor(h.ctx, func() bool { return h.memberStatus(c, a).Status == circles.StatusLeft }); err != nil {
		t.Fatalf("membership of a member who left the server: %+v", h.memberStatus(c, a))
	}
	if ev, ok := circles.CurrentConsent(mustLedger(h, c.ID, a)); ok {
		t.Fatalf("consent still given after leaving the server: %+v", ev)
	}
	if err := h.sim.WaitFor(h.ctx, func() bool { return len(h.sim.DMs(w)) > 0 && h.sim.CanView(w, ch) }); err != nil {
		t.Fatal("waitlisted member not promoted into the freed seat")
	}
	if m := h.memberStatus(c, w); m.Status != circles.StatusActive {
		t.Fatalf("promoted %+v", m)
	}

	// Removed and added back within the grace period: data kept.
	removed := func() bool {
		g, err := h.store.GuildSettings(h.ctx, h.guild)
		return err == nil && !g.RemovedAt.IsZero()
	}
	h.sim.RemoveBotFromGuild(h.guild)
	if err := h.sim.WaitFor(h.ctx, removed); err != nil {
		t.Fatal("GUILD_DELETE not recorded")
	}
	h.clock.Advance(3 * 24 * time.Hour)
	h.sim.AddBotToGuild(h.guild)
	if err := h.sim.WaitFor(h.ctx, func() bool { return !removed() }); err != nil {
		t.Fatal("re-adding the bot did not cancel the removal")
	}
	h.clock.Advance(8 * 24 * time.Hour)
	if err := h.bot.PurgeRemovedGuilds(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Circle(h.ctx, h.guild, c.ID); err != nil {
		t.Fatalf("data of a guild that came back was purged: %v", err)
	}

	// Removed for good: kept during the grace period, purged after it.
	h.sim.RemoveBotFromGuild(h.guild)
	if err := h.sim.WaitFor(h.ctx, removed); err != nil {
		t.Fatal("GUILD_DELETE not recorded")
	}
	h.clock.Advance(6 * 24 * time.Hour)
	if err := h.bot.PurgeRemovedGuilds(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Circle(h.ctx, h.guild, c.ID); err != nil {
		t.Fatalf("purged before the grace period ended: %v", err)
	}
	h.clock.Advance(2 * 24 * time.Hour)
	if err := h.bot.PurgeRemovedGuilds(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Circle(h.ctx, h.guild, c.ID); circles.ErrorCode(err) != circles.ENotFound {
		t.Fatalf("circle after purge: %v", err)
	}
	if _, err := h.store.GuildSettings(h.ctx, h.guild); circles.ErrorCode(err) != circles.ENotFound {
		t.Fatalf("settings after purge: %v", err)
	}
	if x, _ := h.store.ExportUser(h.ctx, "", b, h.clock.Now()); len(x.Memberships)+len(x.Consents) != 0 {
		t.Fatalf("member data after purge: %+v", x)
	}
}

func mustLedger(h *harness, circleID int64, user string) []circles.ConsentEvent {
	h.t.Helper()
	l, err := h.store.ConsentLedger(h.ctx, circleID, user)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// Someone who leaves the server while the bot is offline sends no
// GUILD_MEMBER_REMOVE, ever: at GUILD_CREATE the bot asks who of its
// circles' people is still there. Unanswered, it touches nobody; answered,
// a leaver is treated as one seen leaving — membership and consent
// withdrawn, the waitlist promoted and told, the channel overwrite gone, no
// reminder. Those still there keep their place; a facilitator who left
// stays one, with a warning.
func TestMembersWhoLeftWhileOffline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *bot.Options, _ *discordsim.Options) { o.MemberCheckTimeout = 50 * time.Millisecond })
	h.waitGuildKnown()
	h.memberSetup()
	c := h.memberCircle("Grief circle", 2, false)
	if _, _, err := h.store.UpdateCircle(h.ctx, h.guild, c.ID, func(c *circles.Circle) error {
		c.Facilitators = append(c.Facilitators, h.fac2)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ch := h.memberOpenSession(c)
	a, b, w := h.members[0], h.members[1], h.members[2]
	h.memberJoin(a, c, circles.ModeMember)
	h.memberJoin(b, c, circles.ModeMember)
	h.memberJoin(w, c, circles.ModeMember)
	hasOverwrite := func(user string) bool {
		chn, _ := h.sim.Channel(ch)
		_, ok := chn.Overwrite(user)
		return ok
	}
	if err := h.sim.WaitFor(h.ctx, func() bool { return hasOverwrite(a) && hasOverwrite(b) }); err != nil {
		t.Fatal("members joined but got no access to the open session")
	}

	h.stop()
	h.sim.RemoveMemberQuietly(h.guild, a)
	h.sim.RemoveMemberQuietly(h.guild, h.fac2)
	unchanged := func(when string) {
		t.Helper()
		if h.memberStatus(c, a).Status != circles.StatusActive || h.memberStatus(c, w).Status != circles.StatusWaitlisted {
			t.Fatalf("%s: a %+v, w %+v", when, h.memberStatus(c, a), h.memberStatus(c, w))
		}
	}

	// No answer from the gateway: logged, nobody touched.
	logs := &logCapture{}
	h.opts.Logger = slog.New(logs)
	h.sim.IgnoreMemberRequests(true)
	h.start()
	if err := h.sim.WaitFor(h.ctx, func() bool { return logs.has("could not check that members are still in the server") }); err != nil {
		t.Fatal("an unanswered member request was not logged")
	}
	if h.sim.GatewayStats().MemberRequests == 0 {
		t.Fatal("no member request was sent")
	}
	unchanged("unanswered")

	// Answered: the leaver's membership goes as on GUILD_MEMBER_REMOVE.
	// (The answer may take longer than 50ms on a loaded machine.)
	h.sim.IgnoreMemberRequests(false)
	h.opts.MemberCheckTimeout = 30 * time.Second
	h.restart()
	if err := h.sim.WaitFor(h.ctx, func() bool {
		return h.memberStatus(c, a).Status == circles.StatusLeft && h.memberStatus(c, w).Status == circles.StatusActive
	}); err != nil {
		t.Fatalf("after the restart a %+v, w %+v", h.memberStatus(c, a), h.memberStatus(c, w))
	}
	if ev, ok := circles.CurrentConsent(mustLedger(h, c.ID, a)); ok {
		t.Fatalf("consent still given after leaving the server: %+v", ev)
	}
	if err := h.sim.WaitFor(h.ctx, func() bool {
		return h.lcDMsWith(w, "A seat opened up", c.Name) == 1 && h.sim.CanView(w, ch) && !hasOverwrite(a)
	}); err != nil {
		t.Fatalf("promoted member told %d times, sees the session %v; the leaver's overwrite there %v",
			h.lcDMsWith(w, "A seat opened up"), h.sim.CanView(w, ch), hasOverwrite(a))
	}
	if m := h.memberStatus(c, b); m.Status != circles.StatusActive || !hasOverwrite(b) {
		t.Fatalf("a member still in the server was touched: %+v", m)
	}
	if !slices.Contains(h.circle(c.Name).Facilitators, h.fac2) || !logs.has("a facilitator left the server") {
		t.Fatal("a facilitator who left was dropped, or not warned about")
	}

	// The leaver gets no reminder; the others do.
	next := h.lcPlanned(c)[0]
	h.lcAt(next.Start.Add(-time.Hour))
	for user, want := range map[string]int{a: 0, b: 1, w: 1} {
		if n := h.lcDMsWith(user, reminderText); n != want {
			t.Errorf("%d reminders to %s, want %d", n, user, want)
		}
	}
}
