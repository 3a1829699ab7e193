package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/circles"
)

// The simulator gives the bot's role exactly what the invite link asks
// for, so every bot test runs with the permissions a real server grants;
// and with those alone (a server whose @everyone may not embed links) the
// bot opens a session and pins its guidelines embed.
func TestBotRunsOnTheInvitePermissionsAlone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	roles, err := h.bot.Session().GuildRoles(h.guild)
	if err != nil {
		t.Fatal(err)
	}
	var everyone, botRole *discordgo.Role
	for _, r := range roles {
		switch r.ID {
		case h.guild:
			everyone = r
		case h.sim.BotRoleID(h.guild):
			botRole = r
		}
	}
	if everyone == nil || botRole == nil {
		t.Fatalf("roles %+v", roles)
	}
	if botRole.Permissions != bot.RequiredPermissions {
		t.Fatalf("the bot's role has %d, the invite asks for %d: the simulator must grant what a real server would", botRole.Permissions, bot.RequiredPermissions)
	}
	h.sim.SetRolePermissions(h.guild, h.guild, everyone.Permissions&^discordgo.PermissionEmbedLinks)

	h.lcSetup(24, 60)
	c, s := h.lcCircle("Grief circle", time.Wednesday, 14, 0, nil)
	h.lcJoin(c, h.members[0], circles.ModeMember)
	h.lcAt(s.Start)
	ch := h.lcSession(s.ID).ChannelID
	if ch == "" {
		t.Fatal("the session did not open")
	}
	pins := h.sim.Pins(ch)
	if len(pins) == 0 || len(pins[0].Embeds) == 0 || !strings.HasPrefix(pins[0].Embeds[0].Title, "📜 Guidelines") {
		t.Fatalf("pins %+v: the guidelines embed must be posted and pinned", pins)
	}
	// The bot's own overwrite lets it embed even where a role overwrite
	// (which a member overwrite beats) would deny it.
	sc, _ := h.sim.Channel(ch)
	found := false
	for _, o := range sc.Overwrites {
		if o.ID == h.sim.BotUserID() {
			found = true
			if o.Allow&discordgo.PermissionEmbedLinks == 0 {
				t.Fatalf("the bot's overwrite %+v lacks Embed Links", o)
			}
		}
	}
	if !found {
		t.Fatalf("no overwrite for the bot in %+v", sc.Overwrites)
	}
}
