package bot_test

import (
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// events:True mirrors the next sessions as external scheduled events;
// they move with a schedule change, are cancelled on skip, go live at
// open and complete at close; without Create Events the option is
// refused; archiving cancels the rest. A circle without events makes no
// scheduled-event call at all.
func TestScheduledEvents(t *testing.T) {
	t.Parallel()
	O := discordsim.O
	h := newHarness(t)
	h.facSetup()
	botRole := h.sim.BotRoleID(h.guild)
	// A new server's @everyone may create events; this one took it away.
	h.sim.SetEveryonePermissions(h.guild, discordsim.EveryonePermissions&^discordsim.PermissionCreateEvents)

	// Without the permission: refused, nothing created.
	r := h.facCreate(h.fac, "Evening circle", O("weekday", "Wednesday"), O("time", "19:00"), O("timezone", "Europe/Berlin"), O("events", true))
	wantContains(t, r.Content, "Create Events")
	if h.facCircleCount() != 0 {
		t.Fatal("a refused create stored a circle")
	}
	h.sim.SetRolePermissions(h.guild, botRole, discordsim.BotPermissions|discordsim.PermissionCreateEvents)

	h.facCreate(h.fac, "Plain circle", O("weekday", "Thursday"), O("time", "19:00"))
	if evs := h.sim.ScheduledEvents(h.guild); len(evs) != 0 {
		t.Fatalf("a circle without events made %d", len(evs))
	}
	r = h.facCreate(h.fac, "Evening circle", O("weekday", "Wednesday"), O("time", "19:00"), O("timezone", "Europe/Berlin"), O("events", true))
	wantContains(t, responseText(r), "who clicks Interested is visible to everyone in the server")
	evs := h.sim.ScheduledEvents(h.guild)
	if len(evs) != 3 {
		t.Fatalf("%d events, want the next 3 sessions", len(evs))
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	first := time.Date(2026, 11, 25, 19, 0, 0, 0, berlin)
	if e := evs[0]; e.Name != "Evening circle" || !e.Start.Equal(first) || !e.End.Equal(first.Add(time.Hour)) ||
		e.Location != "Private circle channel — join with /join first" || e.Status != discordsim.EventScheduled || e.EntityType != 3 {
		t.Fatalf("first event %+v", e)
	}
	// A second sync (an edit) changes nothing: no duplicates.
	h.run(h.fac, "circle edit", O("circle", "Evening circle"), O("topic", "Evenings"))
	if n := len(h.sim.ScheduledEvents(h.guild)); n != 3 {
		t.Fatalf("%d events after a second sync", n)
	}

	// Skip the second: its event is cancelled, a new third one listed.
	second := first.AddDate(0, 0, 7)
	h.run(h.fac, "circle skip", O("circle", "Evening circle"), O("session", facItoa(second.Unix())))
	live := liveEvents(h)
	if len(live) != 3 || live[1].Start.Equal(second) {
		t.Fatalf("after skip: %+v", live)
	}
	cancelled := 0
	for _, e := range h.sim.ScheduledEvents(h.guild) {
		if e.Status == discordsim.EventCanceled && e.Start.Equal(second) {
			cancelled++
		}
	}
	if cancelled != 1 {
		t.Fatalf("the skipped session's event wasn't cancelled: %+v", h.sim.ScheduledEvents(h.guild))
	}

	// Reschedule to 20:00: the events move (edited, not recreated).
	ids := map[string]bool{}
	for _, e := range live {
		ids[e.ID] = true
	}
	h.reschedule(h.fac, O("circle", "Evening circle"), O("time", "20:00"))
	live = liveEvents(h)
	if len(live) != 3 || !live[0].Start.Equal(first.Add(time.Hour)) {
		t.Fatalf("after reschedule: %+v", live)
	}
	kept := 0
	for _, e := range live {
		if ids[e.ID] {
			kept++
		}
	}
	if kept == 0 {
		t.Fatalf("every event was recreated instead of edited: %+v", live)
	}

	// Open: ACTIVE; close: COMPLETED.
	h.clock.Set(first.Add(time.Hour))
	if _, err := h.bot.Scheduler().RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	if e := liveEvents(h)[0]; e.Status != discordsim.EventActive {
		t.Fatalf("at open: %+v", e)
	}
	h.clock.Set(first.Add(2 * time.Hour))
	if _, err := h.bot.Scheduler().RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	done := false
	for _, e := range h.sim.ScheduledEvents(h.guild) {
		done = done || (e.Status == discordsim.EventCompleted && e.Start.Equal(first.Add(time.Hour)))
	}
	if !done {
		t.Fatalf("at close: %+v", h.sim.ScheduledEvents(h.guild))
	}

	// Archive: every remaining event is cancelled.
	r = h.run(h.fac, "circle archive", O("circle", "Evening circle"))
	h.clickOn(h.fac, r, "archive", "confirm")
	if live := liveEvents(h); len(live) != 0 {
		t.Fatalf("after archive: %+v", live)
	}
}

func liveEvents(h *harness) []discordsim.ScheduledEvent {
	var out []discordsim.ScheduledEvent
	for _, e := range h.sim.ScheduledEvents(h.guild) {
		if e.Status == discordsim.EventScheduled || e.Status == discordsim.EventActive {
			out = append(out, e)
		}
	}
	return out
}
