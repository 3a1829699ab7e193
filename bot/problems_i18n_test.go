package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// problemsCircle makes a circle with two facilitators, h.fac whose Discord
// is German and h.members[1] whose Discord is English, and seats
// h.members[0]: problem reports go to each in their own language.
func (h *harness) problemsCircle(name string) (circles.Circle, circles.Session, string) {
	h.t.Helper()
	en := h.members[1]
	c, s := h.lcCircle(name, time.Wednesday, 14, 0, func(c *circles.Circle) {
		c.Facilitators = append(c.Facilitators, en)
	})
	h.lcJoin(c, h.members[0], circles.ModeMember)
	h.sim.SetUserLocale(h.fac, "de")
	h.run(h.fac, "mycircles") // notes the facilitator's locale
	return c, s, en
}

// dmsText is every DM user got, for failure messages.
func (h *harness) dmsText(user string) string {
	var got []string
	for _, d := range h.sim.DMs(user) {
		got = append(got, d.Content)
	}
	return strings.Join(got, "\n---\n")
}

// TestProblemReportsInTheFacilitatorsLanguage: a category deleted before
// a session is told, at reminder time and when the session is missed, to
// a German facilitator in German and to an English one in English.
func TestProblemReportsInTheFacilitatorsLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	_, s, en := h.problemsCircle("Trauerkreis")
	if _, err := h.bot.Session().ChannelDelete(h.category); err != nil {
		t.Fatal(err)
	}
	h.lcRunUntil(s.Start.Add(20 * time.Minute))
	if got := h.lcSession(s.ID); got.State != circles.SessionMissed {
		t.Fatalf("session %+v, want missed", got)
	}
	gone := i18n.T(i18n.German, "problems.advice.category_gone")
	if n := h.lcDMsWith(h.fac, "⚠️ Die Sitzung von **Trauerkreis** am "+bot.ShortTimestamp(s.Start)+" kann so, wie es gerade steht, nicht beginnen: "+gone); n != 1 {
		t.Errorf("%d German warnings before the start; DMs:\n%s", n, h.dmsText(h.fac))
	}
	if n := h.lcDMsWith(h.fac, "hat nicht begonnen", "Warum: Ich konnte ihren Kanal nicht anlegen: "+gone); n != 1 {
		t.Errorf("%d German missed notices; DMs:\n%s", n, h.dmsText(h.fac))
	}
	if n := h.lcDMsWith(h.fac, "can't", "couldn't", "no longer exists"); n != 0 {
		t.Errorf("English in the German facilitator's DMs:\n%s", h.dmsText(h.fac))
	}
	if n := h.lcDMsWith(en, "can't open as things stand", "no longer exists"); n != 1 {
		t.Errorf("%d English warnings; DMs:\n%s", n, h.dmsText(en))
	}
	if n := h.lcDMsWith(en, "didn't open", "Why: I couldn't create its channel"); n != 1 {
		t.Errorf("%d English missed notices; DMs:\n%s", n, h.dmsText(en))
	}
}

// TestStuckStepInTheFacilitatorsLanguage: a post Discord refuses for want
// of View Channel is told in one whole sentence per language, with the
// retry line.
func TestStuckStepInTheFacilitatorsLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	c, s, en := h.problemsCircle("Locked out")
	h.lcAt(s.Start)
	s = h.lcSession(s.ID)
	if s.ChannelID == "" {
		t.Fatalf("the session did not open: %+v", s)
	}
	if err := h.bot.Session().ChannelPermissionSet(s.ChannelID, h.sim.BotUserID(), discordgo.PermissionOverwriteTypeMember, 0, discordgo.PermissionViewChannel); err != nil {
		t.Fatal(err)
	}
	h.lcRunUntil(s.End.Add(time.Hour))
	de := "⚠️ Ich kann den Hinweis aufs Ende in der Sitzung von **" + c.Name + "** (" + bot.ShortTimestamp(s.Start) + ") nicht posten: "
	if n := h.lcDMsWith(h.fac, de, "<#"+s.ChannelID+">", "\n"+i18n.T(i18n.German, "problems.stuck_retrying")); n != 1 {
		t.Errorf("%d German stuck DMs; DMs:\n%s", n, h.dmsText(h.fac))
	}
	if n := h.lcDMsWith(en, "⚠️ I can't post the warning in the session of **Locked out**", "\nI'll keep trying, less and less often, until it works."); n != 1 {
		t.Errorf("%d English stuck DMs; DMs:\n%s", n, h.dmsText(en))
	}
}

// TestOpenedPartlyInTheFacilitatorsLanguage: a session that opens
// without Pin Messages is told in German to a German facilitator.
func TestOpenedPartlyInTheFacilitatorsLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	h.sim.SetRolePermissions(h.guild, h.sim.BotRoleID(h.guild), bot.RequiredPermissions&^bot.PermissionPinMessages)
	_, s, en := h.problemsCircle("Trauerkreis")
	h.lcAt(s.Start)
	s = h.lcSession(s.ID)
	de := "ℹ️ Die Sitzung von **Trauerkreis** (" + bot.ShortTimestamp(s.Start) + ") ist in <#" + s.ChannelID + "> geöffnet und ihre Mitglieder sind drin, aber dort funktioniert nicht alles: "
	if n := h.lcDMsWith(h.fac, de); n != 1 {
		t.Errorf("%d German notices; DMs:\n%s", n, h.dmsText(h.fac))
	}
	if n := h.lcDMsWith(en, "ℹ️ The session of **Trauerkreis**", "but not everything works there: circlebot is missing **Pin Messages** in this server"); n != 1 {
		t.Errorf("%d English notices; DMs:\n%s", n, h.dmsText(en))
	}
}
