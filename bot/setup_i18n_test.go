package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// An admin whose Discord is German sets circlebot up: the refusal, the
// summary and the permission check, with Discord's German names for the
// permissions, are German; the same /setup by an English client is
// English (issue 13).
func TestGermanAdminSetsUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.sim.SetUserLocale(h.admin, "de")
	h.sim.SetRolePermissions(h.guild, h.facRole, discordgo.PermissionManageChannels)

	r := h.run(h.admin, "setup", discordsim.O("facilitator_role", h.facRole))
	wantContains(t, r.Content, "Das erste /setup braucht **category**", "es wurde nichts gespeichert")

	// Everything but Pin Messages, as an invite from before Discord's
	// permission split gives.
	h.sim.SetRolePermissions(h.guild, h.sim.BotRoleID(h.guild), bot.RequiredPermissions&^bot.PermissionPinMessages)
	r = h.setup(discordsim.O("retention_hours", 1), discordsim.O("reminder_minutes", 30))
	if len(r.Embeds) != 2 {
		t.Fatalf("setup answer: %+v", r)
	}
	summary, check := r.Embeds[0], r.Embeds[1]
	if summary.Title != "✅ circlebot ist eingerichtet" || len(summary.Fields) != 5 || summary.Fields[0].Name != "Moderationsrolle" ||
		summary.Fields[2].Value != "30 Minuten vor jeder Sitzung, per DM" || summary.Fields[3].Value != "Nach dem Ende einer Sitzung 1 Stunde aufbewahrt, dann gelöscht" {
		t.Fatalf("summary not in German: %+v", summary)
	}
	wantContains(t, r.Content, "**Nächste Schritte**", "Berechtigung Kanäle verwalten", "Servereinstellungen → Integrationen → circlebot")
	if check.Title != "⚠️ Berechtigungsprüfung: 1 fehlt" {
		t.Fatalf("permission check title %q", check.Title)
	}
	wantContains(t, check.Description,
		"Berechtigungen, die circlebot auf diesem Server und in <#"+h.category+"> braucht:",
		"✅ **Kanäle verwalten** — um Sitzungskanäle zu erstellen, zu sperren und zu löschen.",
		"❌ **Nachrichten anheften** — um die Leitlinien oben in jedem Sitzungskanal anzuheften",
		"Lösung: Aktiviere **Nachrichten anheften** für die Rolle **circlebot** (Servereinstellungen → Rollen → circlebot) (Sitzungen öffnen auch ohne sie).")
	if strings.Contains(check.Description, "Fix:") || strings.Contains(check.Description, "Pin Messages") {
		t.Fatalf("English in the German permission check:\n%s", check.Description)
	}

	h.sim.SetUserLocale(h.admin, "en-US")
	r = h.run(h.admin, "setup")
	if len(r.Embeds) != 2 || r.Embeds[0].Title != "circlebot settings (nothing changed)" || r.Embeds[1].Title != "⚠️ Permission check: 1 missing" {
		t.Fatalf("English setup answer: %+v", r)
	}
	wantContains(t, r.Embeds[0].Fields[2].Value, "30 minutes before each session")
	wantContains(t, r.Embeds[1].Description, "❌ **Pin Messages** — to pin the guidelines", "Fix: turn on **Pin Messages** for the **circlebot** role")
}

// The facilitators of a German circle in a German server are told in
// German what circlebot is missing, with Discord's German permission
// names and where to grant them.
func TestGermanCircleToldWhatIsMissing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	h.sim.SetGuildLocale(h.guild, "de")
	h.sim.SetUserLocale(h.fac, "de")
	c, s := h.lcCircle("Trauerkreis", time.Wednesday, 14, 0, nil)
	if err := h.store.SetCircleLocale(h.ctx, c.ID, "de"); err != nil {
		t.Fatal(err)
	}
	h.run(h.fac, "mycircles") // notes the facilitator's German client
	h.lcJoin(c, h.members[0], circles.ModeMember)
	// Sessions open without the optional permissions; circlebot says
	// which are missing.
	h.sim.SetRolePermissions(h.guild, h.sim.BotRoleID(h.guild), bot.RequiredPermissions&^(discordgo.PermissionManageMessages|bot.PermissionPinMessages))
	h.lcAt(s.Start)
	if got := h.lcSession(s.ID); got.State != circles.SessionOpen {
		t.Fatalf("the session did not open: %+v", got)
	}
	want := "circlebot fehlen auf diesem Server die Berechtigungen **Nachrichten verwalten** und **Nachrichten anheften**. Ein Server-Admin kann das beheben:\n" +
		"• **Nachrichten verwalten** (damit die Moderation Nachrichten in Sitzungskanälen entfernen kann): Aktiviere **Nachrichten verwalten** für die Rolle **circlebot** (Servereinstellungen → Rollen → circlebot).\n" +
		"• **Nachrichten anheften** (um die Leitlinien oben in jedem Sitzungskanal anzuheften und die Moderation Nachrichten anheften zu lassen): Aktiviere **Nachrichten anheften** für die Rolle **circlebot** (Servereinstellungen → Rollen → circlebot)."
	if h.lcDMsWith(h.fac, want) != 1 {
		t.Fatalf("facilitator DMs %+v\nwant one with: %q", h.sim.DMs(h.fac), want)
	}
}
