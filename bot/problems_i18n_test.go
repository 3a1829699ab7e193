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

// wantOneDM fails unless exactly one DM to user has all of parts.
func (h *harness) wantOneDM(user string, parts ...string) {
	h.t.Helper()
	if n := h.lcDMsWith(user, parts...); n != 1 {
		h.t.Errorf("%d DMs to %s with %q, want 1; DMs:\n%s", n, user, parts, h.dmsText(user))
	}
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
	h.wantOneDM(h.fac, "⚠️ Die Sitzung von **Trauerkreis** am "+bot.ShortTimestamp(s.Start)+" kann so, wie es gerade steht, nicht beginnen: "+gone)
	h.wantOneDM(h.fac, "hat nicht begonnen", "Warum: Ich konnte ihren Kanal nicht anlegen: "+gone)
	for _, english := range []string{"can't", "couldn't", "no longer exists", "Why:"} {
		if n := h.lcDMsWith(h.fac, english); n != 0 {
			t.Errorf("%q in the German facilitator's DMs:\n%s", english, h.dmsText(h.fac))
		}
	}
	h.wantOneDM(en, "can't open as things stand", "no longer exists")
	h.wantOneDM(en, "didn't open", "Why: I couldn't create its channel")
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
	h.wantOneDM(h.fac, de, "<#"+s.ChannelID+">", "\n"+i18n.T(i18n.German, "problems.stuck_retrying"))
	h.wantOneDM(en, "⚠️ I can't post the warning in the session of **Locked out**", "\nI'll keep trying, less and less often, until it works.")
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
	h.wantOneDM(h.fac, de)
	h.wantOneDM(en, "ℹ️ The session of **Trauerkreis**", "but not everything works there: circlebot is missing **Pin Messages** in this server")
}
