package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/schedule"
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

// The scheduler's own planning keeps the events in line: sessions missed
// while the bot was down are cancelled and the next ones listed at the
// start; without Create Events the facilitators are told once, and the
// sync is retried until it works; a start resyncs what the store shows
// out of line, and nothing for circles that are in line.
func TestScheduledEventsFollowThePlan(t *testing.T) {
	t.Parallel()
	h, first := eventsHarness(t)
	if n := len(liveEvents(h)); n != 3 {
		t.Fatalf("%d events, want 3", n)
	}

	// Down over the first session: at the start it is missed, its event
	// cancelled, and the session after the third listed.
	h.stop()
	h.clock.Set(first.Add(3 * time.Hour))
	h.start()
	live := liveEvents(h)
	if len(live) != 3 || !live[0].Start.Equal(first.AddDate(0, 0, 7)) || !live[2].Start.Equal(first.AddDate(0, 0, 21)) {
		t.Fatalf("after the missed session: %+v", live)
	}

	// Create Events taken away: the open can't start the event; the
	// facilitators hear of it once, not at every session.
	h.createEvents(false)
	before := len(h.sim.DMs(h.fac))
	second := first.AddDate(0, 0, 7)
	h.lcAt(second)
	h.lcAt(second.Add(time.Hour))
	h.lcAt(second.AddDate(0, 0, 7))
	var told []string
	for _, m := range h.sim.DMs(h.fac)[before:] {
		if strings.Contains(m.Content, "Events") {
			told = append(told, m.Content)
		}
	}
	if len(told) != 1 {
		t.Fatalf("told %d times, want once: %q", len(told), told)
	}
	wantContains(t, told[0], "Evening circle", "Create Events")

	// Granted again while the bot is down: the start resyncs the circle
	// (its sessions lack events), without waiting for a change.
	h.stop()
	h.createEvents(true)
	h.start()
	third := first.AddDate(0, 0, 14)
	live = liveEvents(h)
	if len(live) != 4 || !live[0].Start.Equal(third) || live[0].Status != discordsim.EventActive || !live[3].Start.Equal(first.AddDate(0, 0, 35)) {
		t.Fatalf("after the start: %+v", live)
	}
	// A start with everything in line asks Discord nothing about events.
	h.stop()
	mark := len(h.sim.Requests())
	h.start()
	for _, r := range h.sim.Requests()[mark:] {
		if strings.Contains(r.Path, "scheduled-events") {
			t.Fatalf("a start with events in line called %s %s", r.Method, r.Path)
		}
	}
}

// A sync after a command that Discord refused is retried by the
// scheduler once it can work, without another command or a session step.
func TestScheduledEventsRetried(t *testing.T) {
	t.Parallel()
	O := discordsim.O
	h, first := eventsHarness(t)
	h.createEvents(false)
	h.run(h.fac, "circle skip", O("circle", "Evening circle"), O("session", facItoa(first.Unix())))
	if live := liveEvents(h); !live[0].Start.Equal(first) {
		t.Fatalf("the refused cancel happened: %+v", live)
	}
	h.createEvents(true)
	h.lcAt(h.clock.Now().Add(schedule.DefaultRetryDelay))
	live := liveEvents(h)
	if len(live) != 3 || !live[0].Start.Equal(first.AddDate(0, 0, 7)) {
		t.Fatalf("after the retry: %+v", live)
	}
}

// eventsHarness is a harness with an "Evening circle" meeting on
// Wednesdays at 19:00 in Berlin, with events:True, and its first session.
func eventsHarness(t *testing.T) (*harness, time.Time) {
	O := discordsim.O
	h := newHarness(t)
	h.facSetup()
	h.facCreate(h.fac, "Evening circle", O("weekday", "Wednesday"), O("time", "19:00"), O("timezone", "Europe/Berlin"), O("events", true))
	berlin, _ := time.LoadLocation("Europe/Berlin")
	return h, time.Date(2026, 11, 25, 19, 0, 0, 0, berlin)
}

// createEvents grants circlebot Create Events through its role, or takes
// it away from both its role and @everyone.
func (h *harness) createEvents(on bool) {
	botRole := h.sim.BotRoleID(h.guild)
	if on {
		h.sim.SetRolePermissions(h.guild, botRole, discordsim.BotPermissions|discordsim.PermissionCreateEvents)
		return
	}
	h.sim.SetEveryonePermissions(h.guild, discordsim.EveryonePermissions&^discordsim.PermissionCreateEvents)
	h.sim.SetRolePermissions(h.guild, botRole, discordsim.BotPermissions&^discordsim.PermissionCreateEvents)
}
