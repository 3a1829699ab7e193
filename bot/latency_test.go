package bot_test

import (
	"github.com/circlebot/circlebot/bot"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// TestSlowDiscordStillAnswersInTime: with every REST call slowed down,
// /circle open (which creates a channel and posts several messages before
// it can answer) must acknowledge within Discord's 3 seconds by deferring,
// then fill in its answer. Without the deferral the simulator, like
// Discord, would report that the interaction failed.
func TestSlowDiscordStillAnswersInTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *bot.Options, _ *discordsim.Options) { o.DeferAfter = 20 * time.Second })
	h.facSetup()
	h.facCreate(h.fac, "Night owls")
	c := h.circle("Night owls")
	if _, err := h.store.Join(h.ctx, circles.JoinRequest{GuildID: h.guild, CircleID: c.ID, UserID: h.members[0], Mode: circles.ModeMember, GuidelinesVersion: c.Guidelines.Version}, h.clock.Now()); err != nil {
		t.Fatal(err)
	}

	h.sim.SetLatency(400 * time.Millisecond) // ~7 calls to open: well past the deferral threshold
	resp := h.run(h.fac, "circle open", discordsim.O("circle", "Night owls"))
	h.sim.SetLatency(0)

	if resp.Type != 5 {
		t.Fatalf("callback type %d: a slow open must be deferred", resp.Type)
	}
	if !resp.Ephemeral {
		t.Fatal("the deferred answer must stay ephemeral")
	}
	sessions, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
	if err != nil || len(sessions) != 1 || sessions[0].ChannelID == "" {
		t.Fatalf("open sessions %+v %v", sessions, err)
	}
	wantContains(t, resp.Content, "<#"+sessions[0].ChannelID+">")
}
