package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// parallelFacHarness is a harness for a test that runs in parallel, with
// the server set up for facilitators.
func parallelFacHarness(t *testing.T) *harness {
	t.Helper()
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	return h
}

// A facilitator whose Discord is German gets the domain's refusals, the
// cron warning and the dates of /circle skip's choices in German, and an
// English-speaking one the same in English, word for word as before
// (issue 13).
func TestGermanFacilitatorRefusalsAndSchedules(t *testing.T) {
	h, O := parallelFacHarness(t), discordsim.O
	de, en := h.fac, h.fac2
	h.sim.SetUserLocale(de, "de")

	// circles/: a field's name inside the refusal.
	r := h.facCreate(de, "Trauer @everyone")
	wantContains(t, r.Content, "Kreisnamen dürfen keine Erwähnungen enthalten (@everyone, @here, <@user>, <@&role>, <#channel>).")
	r = h.facCreate(en, "Grief @everyone")
	wantContains(t, r.Content, "Circle names can't contain mentions (@everyone, @here, <@user>, <@&role>, <#channel>).")

	// schedule/: a daylight-saving overlap, its night and advice.
	overlapping := []discordsim.Opt{O("cron", "0 1,4 * * *"), O("duration", 180), O("timezone", "Europe/Berlin")}
	r = h.facCreate(de, "Nachteulen", overlapping...)
	wantContains(t, r.Content, "Sitzungen von 3 Stunden nach `0 1,4 * * *` würden sich überschneiden: am So, 28. März 2027 werden in Europe/Berlin die Uhren um 1 Stunde vorgestellt (Sommerzeit)", "bis zu 2 Stunden")
	r = h.facCreate(en, "Night owls", overlapping...)
	wantContains(t, r.Content, "Sessions of 3 hours by `0 1,4 * * *` would overlap: on Sun 28 Mar 2027 the clocks in Europe/Berlin go forward 1 hour (daylight saving time)")
	if n := h.facCircleCount(); n != 0 {
		t.Fatalf("%d circles after refused creates, want none", n)
	}

	// A cron spec naming days of the month and of the week: the warning.
	r = h.facCreate(de, "Erster Dienstag", O("cron", "0 19 1-7 * 2"), O("timezone", "Europe/Berlin"))
	if !strings.Contains(responseText(r), "cron trifft sich an jedem Tag, der **entweder**") {
		t.Fatalf("German cron warning missing: %s", responseText(r))
	}

	// /circle skip session: a German day and month; English as before.
	choices, err := h.sim.Autocomplete(h.ctx, de, h.guild, "circle skip", "session", "", O("circle", "Erster Dienstag"))
	if err != nil || len(choices) == 0 || !strings.HasPrefix(choices[0].Name, "Di, 1. Dez. 2026, 19:00 (Europe/Berlin)") {
		t.Fatalf("German skip choices %+v %v", choices, err)
	}
	choices, err = h.sim.Autocomplete(h.ctx, h.admin, h.guild, "circle skip", "session", "", O("circle", "Erster Dienstag"))
	if err != nil || len(choices) == 0 || !strings.HasPrefix(choices[0].Name, "Tue 1 Dec 2026, 19:00 (Europe/Berlin)") {
		t.Fatalf("English skip choices %+v %v", choices, err)
	}
}

// When a clock change makes two sessions overlap, a member whose Discord
// is German is told why in German, and an English one in English.
func TestGermanMemberToldOfOverlap(t *testing.T) {
	h, O := parallelFacHarness(t), discordsim.O
	h.clock.Set(time.Date(2027, time.March, 27, 12, 0, 0, 0, time.UTC))
	h.facCreate(h.fac, "Night owls", O("cron", "0 1,4 * * *"), O("duration", 120), O("timezone", "Europe/Berlin"))
	de, en := h.members[0], h.members[1]
	h.sim.SetUserLocale(de, "de")
	c := h.circle("Night owls")
	for _, m := range []string{de, en} {
		h.clickOn(m, h.run(m, "join", O("circle", circlePick(c))), "join", "member")
	}
	up, err := h.bot.Scheduler().PlanUpcoming(h.ctx, c, 2)
	if err != nil || len(up) != 2 {
		t.Fatalf("PlanUpcoming: %v %v", up, err)
	}
	// Three-hour sessions, saved without today's check; both members said
	// they'd come to the second session.
	if c, _, err = h.store.UpdateCircle(h.ctx, h.guild, c.ID, func(cur *circles.Circle) error {
		cur.Schedule.Duration = 3 * time.Hour
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{de, en} {
		if _, err := h.store.SetRSVP(h.ctx, h.guild, up[1].ID, m, circles.RSVPGoing, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.bot.Scheduler().ScheduleChanged(h.ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := h.bot.Scheduler().RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	wantDM(t, h, de, "kann leider nicht stattfinden: am So, 28. März 2027 werden in Europe/Berlin die Uhren um 1 Stunde vorgestellt (Sommerzeit), also würde die um 01:00 beginnende Sitzung bis 05:00 dauern, über den Beginn der nächsten um 04:00 hinaus.")
	wantDM(t, h, en, "can't take place, sorry: on Sun 28 Mar 2027 the clocks in Europe/Berlin go forward 1 hour (daylight saving time), so the session starting at 01:00 would last until 05:00, past the start of the next one at 04:00.")
}
