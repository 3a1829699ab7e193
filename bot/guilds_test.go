package bot_test

import (
	"testing"
	"time"

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
