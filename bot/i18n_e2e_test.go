package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// A member whose Discord is set to German and one whose Discord is in
// English share a circle whose session channel speaks German: each sees
// their replies, buttons and DMs in their own language, and the session
// channel is in the circle's (issue 13).
func TestGermanMemberThroughACircle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	de, en := h.members[0], h.members[1]
	h.sim.SetUserLocale(de, "de")

	// Thursday 26 Nov, 14:00 Berlin: tomorrow, so both join before the
	// reminders.
	h.facCreate(h.fac, "Trauerkreis", discordsim.O("weekday", "Thursday"), discordsim.O("time", "14:00"), discordsim.O("language", "de"))
	c := h.circle("Trauerkreis")

	list := h.run(de, "circles")
	wantContains(t, list.Content, "1 Kreis auf diesem Server", "/mycircles")
	if len(list.Embeds) != 1 || list.Embeds[0].Fields[1].Name != "Moderiert von" {
		t.Fatalf("/circles embed not in German: %+v", list.Embeds)
	}

	screen := h.run(de, "join", discordsim.O("circle", circlePick(c)))
	wantContains(t, screen.Content, "Bevor du Trauerkreis beitrittst", "Leitlinien")
	wantLabels(t, "German join screen", screen.Buttons(), "Ich stimme zu – beitreten")
	wantContains(t, h.clickOn(de, screen, "join", string(circles.ModeMember)).Content, "Willkommen in **Trauerkreis**", "Mitglied")

	screen = h.run(en, "join", discordsim.O("circle", circlePick(c)))
	wantContains(t, screen.Content, "Before you join Trauerkreis")
	wantContains(t, h.clickOn(en, screen, "join", string(circles.ModeMember)).Content, "Welcome to **Trauerkreis**")

	// Joining again says so, in German too.
	again := h.run(de, "join", discordsim.O("circle", circlePick(c)))
	wantContains(t, again.Content, "Du bist schon in **Trauerkreis**, als Mitglied")

	mine := h.run(de, "mycircles")
	wantContains(t, mine.Content, "Nur du kannst das sehen")
	wantLabels(t, "German /mycircles", mine.Buttons(), "📅 Zum Kalender hinzufügen", "Ich komme · Trauerkreis")

	wantContains(t, h.run(de, "privacy export").Content, "📄 Hier ist alles, was circlebot auf diesem Server über dich gespeichert hat: 1 Mitgliedschaft", "circlebot speichert nie")
	erase := h.run(de, "privacy delete")
	wantContains(t, erase.Content, "Alles löschen, was circlebot auf diesem Server")
	wantLabels(t, "German /privacy delete", erase.Buttons(), "Meine Daten löschen", "Abbrechen")

	// The reminders: each in its reader's language, buttons too.
	s := h.facPlanned(c.ID)[0]
	h.lcRunUntil(s.Start.Add(-time.Hour))
	wantDM(t, h, de, "**Trauerkreis** trifft sich", "Ich komme", "Diesmal nicht")
	wantDM(t, h, en, "**Trauerkreis** meets", "Going", "Skip this one")

	// The session channel speaks the circle's language.
	h.lcRunUntil(s.Start)
	ch := h.lcSession(s.ID).ChannelID
	if ch == "" {
		t.Fatal("the session did not open")
	}
	msgs := strings.Join(h.lcBotMessages(ch), "\n")
	wantContains(t, msgs, "👋 Willkommen", "Das ist eine private Sitzung von **Trauerkreis**", "📜 Leitlinien v1 · Trauerkreis", "*Apps → An die Moderation melden*")
	h.lcRunUntil(s.End)
	msgs = strings.Join(h.lcBotMessages(ch), "\n")
	wantContains(t, msgs, "⏳ **Noch 5 Minuten.**", "🔒 **Diese Sitzung ist zu Ende.**", "circlebot speichert nichts")

	// A German admin editing the crisis resources starts from the German
	// default list.
	h.sim.SetUserLocale(h.admin, "de")
	form := h.run(h.admin, "setup", discordsim.O("crisis_resources", true))
	if form.Modal == nil || len(form.Modal.Inputs) != 1 || form.Modal.Inputs[0].Value != i18n.T(i18n.German, "helpnow.default_resources") || form.Modal.Title != "Krisenangebote für /helpnow" {
		t.Fatalf("crisis form not German: %+v", form.Modal)
	}
}

// wantLabels fails unless buttons has a button labelled each of labels.
func wantLabels(t *testing.T, what string, buttons []discordsim.Button, labels ...string) {
	t.Helper()
	have := map[string]bool{}
	var all []string
	for _, b := range buttons {
		have[b.Label] = true
		all = append(all, b.Label)
	}
	for _, l := range labels {
		if !have[l] {
			t.Errorf("%s: no button %q among %q", what, l, all)
		}
	}
}

// wantDM fails unless user has a DM containing text whose buttons carry
// labels.
func wantDM(t *testing.T, h *harness, user, text string, labels ...string) {
	t.Helper()
	for _, d := range h.sim.DMs(user) {
		if strings.Contains(d.Content, text) {
			wantLabels(t, "DM "+text, d.Buttons(), labels...)
			return
		}
	}
	var got []string
	for _, d := range h.sim.DMs(user) {
		got = append(got, d.Content)
	}
	t.Errorf("no DM to %s with %q; DMs: %q", user, text, got)
}
