package bot_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/circles"
)

// logCapture is a slog handler that keeps the messages logged.
type logCapture struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logCapture) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCapture) WithGroup(string) slog.Handler      { return l }

func (l *logCapture) has(prefix string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if strings.HasPrefix(m, prefix) {
			return true
		}
	}
	return false
}

// waitGuildKnown waits until GUILD_CREATE for the harness guild is stored.
func (h *harness) waitGuildKnown() {
	h.t.Helper()
	if err := h.sim.WaitFor(h.ctx, func() bool {
		_, err := h.store.GuildSettings(h.ctx, h.guild)
		return err == nil
	}); err != nil {
		h.t.Fatal("GUILD_CREATE not recorded")
	}
}

// With gateway_url set the bot dials it, whatever GET /gateway answers.
func TestGatewayURLOverridesTheAPIsAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	asked := "/gateway/" + h.sim.ApplicationID() + "/"
	if st := h.sim.GatewayStats(); st.IdentifyPath != asked {
		t.Fatalf("without gateway_url the bot dialled %q, want the API's %q", st.IdentifyPath, asked)
	}
	h.stop()
	h.opts.GatewayURL = h.sim.GatewayURL() + "/via-proxy"
	h.start()
	st := h.sim.GatewayStats()
	if !strings.HasPrefix(st.IdentifyPath, asked+"via-proxy") || st.Identifies < 2 {
		t.Fatalf("with gateway_url the bot identified on %q (%d identifies), want %q", st.IdentifyPath, st.Identifies, asked+"via-proxy")
	}
	if _, err := bot.New(bot.Options{Token: "x", Store: h.store, GatewayURL: "https://not-a-websocket"}); err == nil {
		t.Fatal("a gateway_url that is not ws:// or wss:// was accepted")
	}
}

// The bot reads nothing from discordgo's state, so it keeps none.
func TestStateCacheIsOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.waitGuildKnown()
	if g, err := h.bot.Session().State.Guild(h.guild); err == nil {
		t.Fatalf("discordgo cached guild %s (%d channels): the state should be off", g.ID, len(g.Channels))
	}
}

// guild_ids: commands only in the listed guilds and none global (so a
// switch from global leaves no duplicates); a listed guild the bot is not
// in yet doesn't stop Start and gets its commands when the bot joins; an
// unlisted guild's owner gets no welcome pointing at a /setup that isn't
// there.
func TestGuildIDsRegistration(t *testing.T) {
	t.Parallel()
	logs := &logCapture{}
	h := newHarness(t)
	n := len(h.sim.Commands(""))
	if n == 0 || len(h.sim.Commands(h.guild)) != 0 {
		t.Fatalf("global mode: %d global, %d guild commands", n, len(h.sim.Commands(h.guild)))
	}

	h.stop()
	laterOwner, otherOwner := h.sim.AddUser("lee"), h.sim.AddUser("olu")
	later := h.sim.AddGuild("Later", laterOwner)
	h.sim.RemoveBotFromGuild(later) // listed, but the bot is not in it yet
	other := h.sim.AddGuild("Elsewhere", otherOwner)
	h.opts.GuildIDs = []string{h.guild, later}
	h.opts.Logger = slog.New(logs)
	h.start()

	if got := len(h.sim.Commands("")); got != 0 {
		t.Errorf("%d global commands left after switching to guild_ids", got)
	}
	if got := len(h.sim.Commands(h.guild)); got != n {
		t.Errorf("listed guild has %d commands, want %d", got, n)
	}
	if len(h.sim.Commands(later)) != 0 || len(h.sim.Commands(other)) != 0 {
		t.Error("commands registered in a guild the bot is not in, or not listed")
	}
	if err := h.sim.WaitFor(h.ctx, func() bool { return logs.has("joined a server not listed in guild_ids") }); err != nil {
		t.Fatal("joining an unlisted server was not logged")
	}
	if dms := h.sim.DMs(otherOwner); len(dms) != 0 {
		t.Fatalf("the owner of an unlisted server was welcomed: %q", dms[0].Content)
	}

	h.sim.AddBotToGuild(later)
	if err := h.sim.WaitFor(h.ctx, func() bool { return len(h.sim.Commands(later)) == n && len(h.sim.DMs(laterOwner)) == 1 }); err != nil {
		t.Fatalf("joining a listed server: %d commands, %d DMs", len(h.sim.Commands(later)), len(h.sim.DMs(laterOwner)))
	}
	wantContains(t, h.sim.DMs(laterOwner)[0].Content, "/setup")
}

// A removal while the bot was offline shows on READY: the guild is marked
// removed and purged after the grace; if the bot is back by the next
// start, the removal is cleared.
func TestRemovalWhileOfflineIsNoticedOnReady(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.waitGuildKnown()
	h.memberSetup()
	c := h.memberCircle("Grief circle", 4, false)
	removedAt := func() time.Time {
		g, err := h.store.GuildSettings(h.ctx, h.guild)
		if err != nil {
			t.Fatal(err)
		}
		return g.RemovedAt
	}
	offline := func(change func()) {
		h.stop()
		change()
		h.start()
	}

	offline(func() { h.sim.RemoveBotFromGuild(h.guild) })
	if !removedAt().Equal(h.clock.Now()) {
		t.Fatalf("removal while offline recorded at %v, want %v", removedAt(), h.clock.Now())
	}

	h.clock.Advance(24 * time.Hour)
	offline(func() { h.sim.AddBotToGuild(h.guild) })
	if err := h.sim.WaitFor(h.ctx, func() bool { return removedAt().IsZero() }); err != nil {
		t.Fatal("back in the guild by the next start, but the removal stands")
	}

	offline(func() { h.sim.RemoveBotFromGuild(h.guild) })
	h.clock.Advance(7*24*time.Hour + time.Minute)
	if err := h.bot.PurgeRemovedGuilds(h.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Circle(h.ctx, h.guild, c.ID); circles.ErrorCode(err) != circles.ENotFound {
		t.Fatalf("circle of a guild that removed the bot while it was offline: %v", err)
	}
}
