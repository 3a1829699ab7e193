package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// hostileName is what a facilitator of circle A would name it to make
// session id's open adopt A's channel: the bot's marker text.
func hostileName(id int64) string { return "Quiet circlebot:session:" + facItoa(id) }

// TestHostileNameCantTakeOverASession: a circle whose name carries another
// session's marker (saved before names were checked) doesn't make that
// session adopt its live channel — the other session opens its own — and
// when the other session is missed, its channel is not deleted. A name or
// topic with the marker is refused today.
func TestHostileNameCantTakeOverASession(t *testing.T) {
	t.Parallel()
	for _, missed := range []bool{false, true} {
		name := map[bool]string{false: "the other session opens", true: "the other session is missed"}[missed]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.lcSetup(24, 0)
			b, bs := h.lcCircle("Grief circle", time.Wednesday, 14, 30, nil)
			h.lcJoin(b, h.members[1], circles.ModeMember)
			a, as := h.lcCircle("Quiet", time.Wednesday, 14, 0, nil)
			h.lcJoin(a, h.members[0], circles.ModeMember)
			// What validation refuses now, as a database from before has it.
			h.lcSQL(`UPDATE circles SET name = ?, name_fold = ? WHERE id = ?`, hostileName(bs.ID), strings.ToLower(hostileName(bs.ID)), a.ID)

			h.lcAt(as.Start)
			achan := h.lcSession(as.ID).ChannelID
			if missed {
				h.stop()
				h.clock.Set(bs.Start.Add(20 * time.Minute)) // A still open till 15:00
				h.start()
				h.lcAt(bs.Start.Add(20 * time.Minute))
				if got := h.lcSession(bs.ID); got.State != circles.SessionMissed {
					t.Fatalf("B %+v, want missed", got)
				}
			} else {
				h.lcAt(bs.Start)
				got := h.lcSession(bs.ID)
				if got.ChannelID == "" || got.ChannelID == achan {
					t.Fatalf("B's session took channel %q (A's is %s)", got.ChannelID, achan)
				}
				if h.sim.CanView(h.members[1], achan) {
					t.Fatal("B's member can see A's channel")
				}
			}
			if _, ok := h.sim.Channel(achan); !ok {
				t.Fatal("A's live channel was deleted")
			}
			if !h.sim.CanSend(h.members[0], achan) {
				t.Fatal("A's member lost access to A's session")
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		h.facSetup()
		wantContains(t, h.facCreate(h.fac, hostileName(1)).Content, "can't contain", "circlebot:session:")
		wantContains(t, h.facCreate(h.fac, "Quiet", discordsim.O("topic", "see circlebot:session:1"), discordsim.O("weekday", "Tuesday"), discordsim.O("time", "19:00")).Content, "topic can't contain")
		if n := h.facCircleCount(); n != 0 {
			t.Fatalf("%d circles created", n)
		}
		h.facCreate(h.fac, "Quiet")
		wantContains(t, h.run(h.fac, "circle edit", discordsim.O("circle", "Quiet"), discordsim.O("name", hostileName(1))).Content, "can't contain")
	})
}

// TestNamesRenderAsTyped: markdown in a circle's name shows as typed in
// the reminder DM, /join and the welcome — no clickable masked link, no
// code block swallowing the message.
func TestNamesRenderAsTyped(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	const link = "[Verify your seat](https://evil.example/login)"
	c, s := h.lcCircle(link, time.Wednesday, 14, 0, func(c *circles.Circle) { c.Topic = "```" })
	h.lcJoin(c, h.members[0], circles.ModeMember)
	escaped := `\[Verify your seat\]\(https\://evil.example/login\)`
	join := responseText(h.run(h.members[1], "join", discordsim.O("circle", "id:"+facItoa(c.ID))))
	wantContains(t, join, escaped)
	wantContains(t, responseText(h.run(h.members[1], "circles")), escaped, "\\`\\`\\`")
	h.lcAt(s.Start.Add(-time.Hour))
	h.lcAt(s.Start)
	ch := h.lcSession(s.ID).ChannelID
	texts := append(h.lcBotMessages(ch), join)
	for _, d := range h.sim.DMs(h.members[0]) {
		texts = append(texts, d.Content)
	}
	seen := 0
	for _, text := range texts {
		if strings.Contains(text, "(https://evil") || strings.Contains(text, "[Verify your seat]") {
			t.Fatalf("the name renders as a link: %q", text)
		}
		if strings.Contains(text, escaped) {
			seen++
		}
	}
	if seen < 3 { // /join, the reminder, the welcome
		t.Fatalf("the escaped name appears in %d of %q", seen, texts)
	}
}

// TestNamesAreNormalisedAndDistinct: names are stored NFKC-normalised with
// white space collapsed; invisible and direction characters, names with
// nothing to read, and names whose session channels would be named like
// another circle's are refused, naming it.
func TestNamesAreNormalisedAndDistinct(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	wantContains(t, responseText(h.facCreate(h.fac, "Ｇｒｉｅｆ-circle")), "is ready")
	if _, err := h.store.CircleByName(h.ctx, h.guild, "Grief-circle"); err != nil {
		t.Fatalf("the full-width name was not stored normalised: %v", err)
	}
	for _, tc := range []struct{ name, want string }{
		{"grief_circle!", "**Grief\\-circle**"},
		{"Grief  circle", "**Grief\\-circle**"},
		{"GRIEF CIRCLE", "**Grief\\-circle**"},
		{"Grief\u200bcircle", "invisible or text-direction characters"},
		{"Grief \u202ecircle", "invisible or text-direction characters"},
		{"!!! ???", "at least one letter or digit"},
	} {
		wantContains(t, h.facCreate(h.fac, tc.name).Content, tc.want)
	}
	if n := h.facCircleCount(); n != 1 {
		t.Fatalf("%d circles, want only the first", n)
	}
	// Renaming into a clash is refused the same way; archiving frees it.
	wantContains(t, responseText(h.facCreate(h.fac, "Quiet")), "is ready")
	wantContains(t, h.run(h.fac, "circle edit", discordsim.O("circle", "Quiet"), discordsim.O("name", "grief circle")).Content, "**Grief\\-circle**")
}

// TestGuidelinesKeepSimpleFormattingOnly: bold and lists are fine; a masked
// link or an unclosed code block is refused with the reason, and nothing
// is saved.
func TestGuidelinesKeepSimpleFormattingOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	h.facCreate(h.fac, "Grief circle")
	c := h.circle("Grief circle")
	wantContains(t, h.saveGuidelines(h.fac, c, "**Be kind.**\n- listen\n- share if you like").Content, "Saved version 2")
	wantContains(t, h.saveGuidelines(h.fac, c, "Read [our rules](https://evil.example) first.").Content, "masked links")
	wantContains(t, h.saveGuidelines(h.fac, c, "```\nno end").Content, "never closed")
	if got := h.circle("Grief circle"); got.Guidelines.Version != 2 {
		t.Fatalf("a refused text was saved: version %d", got.Guidelines.Version)
	}
}

// TestFacilitatorRoleDeleted: the facilitator role deleted in Discord is
// forgotten; the owner is told, /setup shows it missing, and a facilitator
// who is refused learns why.
func TestFacilitatorRoleDeleted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	h.facCreate(h.fac, "Grief circle")
	// Fran also moderates, so Discord still shows her /circle.
	mods := h.sim.AddRole(h.guild, "Moderators", discordgo.PermissionManageChannels)
	h.sim.AddMember(h.guild, h.fac, h.facRole, mods)
	if !h.sim.DeleteRole(h.guild, h.facRole) {
		t.Fatal("the role was not deleted")
	}
	if err := h.sim.WaitFor(h.ctx, func() bool {
		return h.lcDMsWith(h.admin, "facilitator role", "was deleted", "/setup facilitator_role:") == 1
	}); err != nil {
		t.Fatalf("owner DMs %+v", h.sim.DMs(h.admin))
	}
	if g := h.memberSettings(); g.FacilitatorRoleID != "" || !g.Configured {
		t.Fatalf("settings after the role was deleted: %+v", g)
	}
	wantContains(t, h.run(h.fac, "circle roster", discordsim.O("circle", "Grief circle")).Content, "facilitator role was deleted", "ask a server admin")
	wantContains(t, responseText(h.run(h.admin, "setup")), "Missing: it was deleted", "/setup facilitator_role:")
	// An admin can still run circles, and choosing a role again mends it.
	wantContains(t, responseText(h.run(h.admin, "circle roster", discordsim.O("circle", "Grief circle"))), "Roster of")
	role := h.sim.AddRole(h.guild, "Hosts", 0)
	h.sim.AddMember(h.guild, h.fac, role, mods)
	h.run(h.admin, "setup", discordsim.O("facilitator_role", role))
	wantContains(t, responseText(h.run(h.fac, "circle roster", discordsim.O("circle", "Grief circle"))), "Roster of")
}

// TestAlertsAreCoalesced: a circle that meets every hour in a server whose
// session category is gone gets its facilitators one DM about it a day,
// with a count, not two an hour.
func TestAlertsAreCoalesced(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	c, s := h.lcCircle("Hourly", time.Wednesday, 14, 0, func(c *circles.Circle) {
		c.Schedule = circles.Rule{Cron: "0 * * * *", TimeZone: "Europe/Berlin", Duration: 30 * time.Minute}
	})
	h.lcJoin(c, h.members[0], circles.ModeMember)
	if _, err := h.bot.Session().ChannelDelete(h.category); err != nil {
		t.Fatal(err)
	}
	h.lcRunUntil(s.Start.Add(3 * time.Hour))
	if n := len(h.sim.DMs(h.fac)); n != 2 {
		t.Fatalf("%d DMs in 3 hours, want the stuck open and the missed session told once: %+v", n, h.sim.DMs(h.fac))
	}
	h.lcAt(s.Start.Add(25 * time.Hour)) // the bot was away; the next session is missed
	if n := h.lcDMsWith(h.fac, "didn't open", "more times since I last told you"); n != 1 {
		t.Fatalf("a day later, %d missed notices with a count: %+v", n, h.sim.DMs(h.fac))
	}
}

// TestFullCategoryOverflows: when the session category holds Discord's 50
// channels, the session opens in an overflow category made next to it with
// the same permissions, and the admins hear of it; at 80% they are warned.
func TestFullCategoryOverflows(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	c, s := h.lcCircle("Grief circle", time.Wednesday, 14, 0, nil)
	h.lcJoin(c, h.members[0], circles.ModeMember)
	h.sim.SetChannelOverwrites(h.category, []discordsim.Overwrite{{ID: h.facRole, Type: 0, Allow: discordgo.PermissionViewChannel}})
	for i := range 40 {
		h.sim.AddChannel(h.guild, discordgo.ChannelTypeGuildText, "old-"+facItoa(int64(i)), h.category)
	}
	h.lcAt(s.Start.Add(-time.Hour)) // the reminder counts the category's channels
	if n := h.lcDMsWith(h.admin, "is filling up", "40 of the 50"); n != 1 {
		t.Fatalf("owner DMs %+v", h.sim.DMs(h.admin))
	}
	for i := 40; i < 50; i++ {
		h.sim.AddChannel(h.guild, discordgo.ChannelTypeGuildText, "old-"+facItoa(int64(i)), h.category)
	}
	h.lcAt(s.Start)
	got := h.lcSession(s.ID)
	ch, ok := h.sim.Channel(got.ChannelID)
	if got.State != circles.SessionOpen || !ok || !h.sim.CanSend(h.members[0], ch.ID) {
		t.Fatalf("the session did not open in a full category: %+v", got)
	}
	overflow, _ := h.sim.Channel(ch.ParentID)
	base, _ := h.sim.Channel(h.category)
	if overflow.Name != "Circles 2" || overflow.Type != int(discordgo.ChannelTypeGuildCategory) || len(overflow.Overwrites) != len(base.Overwrites) {
		t.Fatalf("opened in %+v, want an overflow category like %+v", overflow, base)
	}
	if n := h.lcDMsWith(h.admin, "is full", "<#"+overflow.ID+">"); n != 1 {
		t.Fatalf("owner DMs %+v", h.sim.DMs(h.admin))
	}
	// The next session goes to the same overflow category.
	next := h.lcPlanned(c)[0]
	h.lcAt(next.Start)
	if ch2, _ := h.sim.Channel(h.lcSession(next.ID).ChannelID); ch2.ParentID != overflow.ID {
		t.Fatalf("the next session went to %q", ch2.ParentID)
	}
}

// TestScheduleTooOftenRefused: a circle can't meet every quarter of an
// hour, nor more than the weekly cap; a refused schedule changes nothing.
func TestScheduleTooOftenRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	r := h.facCreate(h.fac, "Often", discordsim.O("cron", "*/15 * * * *"), discordsim.O("duration", 15))
	wantContains(t, r.Content, "every 15 minutes", "at least 1 hour apart", "at most 14 a week")
	r = h.facCreate(h.fac, "Often", discordsim.O("cron", "0 9,13,18 * * *"), discordsim.O("duration", 60))
	wantContains(t, r.Content, "would meet 21 times a week", "at most 14 sessions a week")
	if n := h.facCircleCount(); n != 0 {
		t.Fatalf("%d circles created", n)
	}
	h.facCreate(h.fac, "Often")
	wantContains(t, h.reschedule(h.fac, discordsim.O("circle", "Often"), discordsim.O("cron", "0 * * * *"), discordsim.O("duration", 30)).Content, "would meet")
	if c := h.circle("Often"); c.Schedule.Cron != "" {
		t.Fatalf("the refused schedule was saved: %+v", c.Schedule)
	}
}
