package bot_test

import (
	"fmt"
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

// TestEachMissingPermission takes away, one at a time, each permission the
// invite link asks for — from the bot's role and from @everyone, so the bot
// holds it nowhere — and runs a session. Whatever is missing, nothing is
// left half-done and silent: the facilitators are told which permission,
// what it is for and where to grant it; a session that can do without it
// (Manage Messages, Pin Messages) opens with its members in, and one that
// can't leaves no channel behind.
func TestEachMissingPermission(t *testing.T) {
	t.Parallel()
	for _, p := range []struct {
		bit      int64
		name     string
		optional bool
	}{
		{discordgo.PermissionViewChannel, "View Channel", false},
		{discordgo.PermissionManageChannels, "Manage Channels", false},
		{discordgo.PermissionManageRoles, "Manage Roles", false},
		{discordgo.PermissionSendMessages, "Send Messages", false},
		{discordgo.PermissionEmbedLinks, "Embed Links", false},
		{discordgo.PermissionReadMessageHistory, "Read Message History", false},
		{discordgo.PermissionManageMessages, "Manage Messages", true},
		{bot.PermissionPinMessages, "Pin Messages", true},
	} {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.lcSetup(24, 60)
			c, s := h.lcCircle("Grief circle", time.Wednesday, 14, 0, nil)
			h.lcJoin(c, h.members[0], circles.ModeMember)
			everyone, err := h.bot.Session().GuildRoles(h.guild)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range everyone {
				if r.ID == h.guild {
					h.sim.SetRolePermissions(h.guild, h.guild, r.Permissions&^p.bit)
				}
			}
			h.sim.SetRolePermissions(h.guild, h.sim.BotRoleID(h.guild), bot.RequiredPermissions&^p.bit)

			h.lcRunUntil(s.Start.Add(20 * time.Minute))
			told := fmt.Sprintf("circlebot is missing **%s**", p.name)
			fix := fmt.Sprintf("turn on **%s** for the **circlebot** role (Server Settings → Roles → circlebot)", p.name)
			if n := h.lcDMsWith(h.fac, told, fix); n == 0 {
				t.Fatalf("the facilitator was never told what is missing; DMs %+v", h.sim.DMs(h.fac))
			}
			got := h.lcSession(s.ID)
			chans := h.lcSessionChannels(s.ID)
			if p.optional {
				if got.State != circles.SessionOpen || len(chans) != 1 || !h.sim.CanSend(h.members[0], got.ChannelID) || !got.WelcomePosted {
					t.Fatalf("without %s the session should open with its member in: %+v, channels %+v", p.name, got, chans)
				}
				if n := h.lcDMsWith(h.fac, told); n != 1 {
					t.Fatalf("told %d times about %s, want once", n, p.name)
				}
				return
			}
			if got.State != circles.SessionMissed || len(chans) != 0 {
				t.Fatalf("without %s: session %+v, channels %+v; want it missed with nothing left behind", p.name, got, chans)
			}
			if n := h.lcDMsWith(h.fac, "didn't open", told); n != 1 {
				t.Fatalf("the missed session's notice doesn't say what is missing: %+v", h.sim.DMs(h.fac))
			}
		})
	}
}

// TestMissingPinMessages is the message facilitators get when the server
// gives circlebot everything but Pin Messages (as an invite link from
// before Discord's permission split does): the session opens all the same.
func TestMissingPinMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	h.sim.SetRolePermissions(h.guild, h.sim.BotRoleID(h.guild), bot.RequiredPermissions&^bot.PermissionPinMessages)
	_, s := h.lcOpened("Grief circle")
	if !h.sim.CanSend(h.members[0], s.ChannelID) || !s.WelcomePosted {
		t.Fatalf("the session did not open without Pin Messages: %+v", s)
	}
	want := "ℹ️ The session of **Grief circle** (" + bot.ShortTimestamp(s.Start) + ") is open in <#" + s.ChannelID + "> and its members are in, but not everything works there: " +
		"circlebot is missing **Pin Messages** in this server, which it needs to pin the guidelines at the top of each session channel, and let facilitators pin messages. " +
		"A server admin can fix it: turn on **Pin Messages** for the **circlebot** role (Server Settings → Roles → circlebot)."
	if n := h.lcDMsWith(h.fac, "ℹ️"); n != 1 || h.lcDMsWith(h.fac, want) != 1 {
		t.Fatalf("facilitator DMs %+v\nwant one: %q", h.sim.DMs(h.fac), want)
	}
	// Fixed: the next try pins the guidelines.
	h.sim.SetRolePermissions(h.guild, h.sim.BotRoleID(h.guild), bot.RequiredPermissions)
	h.lcAt(h.lcSession(s.ID).DueAt)
	if pins := h.sim.Pins(s.ChannelID); len(pins) != 1 || pins[0].ID != s.GuidelinesMessageID || h.lcSession(s.ID).OpeningPending {
		t.Fatalf("after the fix: pins %+v, session %+v", pins, h.lcSession(s.ID))
	}
}
