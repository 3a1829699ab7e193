package bot_test

import (
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// A schedule whose sessions a daylight-saving change would make overlap is
// refused when it is saved, by /circle create and /circle schedule alike,
// with the night it would happen and what to do instead.
func TestDSTOverlapRefusedWhenSaved(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	O := discordsim.O
	overlapping := []discordsim.Opt{O("cron", "0 1,4 * * *"), O("duration", 180), O("timezone", "Europe/Berlin")}
	why := []string{"would overlap", "Sun 28 Mar 2027", "go forward 1 hour (daylight saving time)", "until 05:00", "shorter sessions (up to 2 hours", "start times further apart"}

	r := h.facCreate(h.fac, "Night owls", overlapping...)
	wantContains(t, r.Content, why...)
	if n := h.facCircleCount(); n != 0 {
		t.Fatalf("%d circles after a refused create, want none", n)
	}

	h.facCreate(h.fac, "Night owls", O("cron", "0 1,4 * * *"), O("duration", 120), O("timezone", "Europe/Berlin"))
	r = h.reschedule(h.fac, append([]discordsim.Opt{O("circle", "Night owls")}, overlapping...)...)
	wantContains(t, r.Content, why...)
	if d := h.circle("Night owls").Schedule.Duration; d != 2*time.Hour {
		t.Fatalf("duration after a refused change %s, want the 2 hours it had", d)
	}
}

// A schedule saved before that check (here: written to the store, as the
// old /circle schedule did) can still make two sessions overlap. The
// second can't be held; its facilitators and the members who said they'd
// come are told by DM, instead of it opening beside the first or silently
// not happening.
func TestDSTOverlapToldByDM(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	O := discordsim.O
	h.clock.Set(time.Date(2027, time.March, 27, 12, 0, 0, 0, time.UTC))
	h.facCreate(h.fac, "Night owls", O("cron", "0 1,4 * * *"), O("duration", 120), O("timezone", "Europe/Berlin"))
	going, other := h.members[0], h.members[1]
	for _, m := range []string{going, other} {
		h.clickOn(m, h.run(m, "join", O("circle", "Night owls")), "join", "member")
	}
	c := h.circle("Night owls")
	up, err := h.bot.Scheduler().PlanUpcoming(h.ctx, c, 2)
	if err != nil || len(up) != 2 {
		t.Fatalf("PlanUpcoming: %v %v", up, err)
	}
	second := up[1] // 04:00 CEST, 28 March
	if _, err := h.store.SetRSVP(h.ctx, h.guild, second.ID, going, circles.RSVPGoing, h.clock.Now()); err != nil {
		t.Fatal(err)
	}

	// Three-hour sessions, saved without today's check.
	c, _, err = h.store.UpdateCircle(h.ctx, h.guild, c.ID, func(cur *circles.Circle) error {
		cur.Schedule.Duration = 3 * time.Hour
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.bot.Scheduler().ScheduleChanged(h.ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := h.bot.Scheduler().RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}

	const told = "can't take place, sorry: on Sun 28 Mar 2027 the clocks in Europe/Berlin go forward 1 hour (daylight saving time), so the session starting at 01:00 would last until 05:00, past the start of the next one at 04:00."
	if n := h.dmsContaining(going, told); n != 1 {
		t.Fatalf("%d DMs to the member going, want 1: %+v", n, h.sim.DMs(going))
	}
	if n := h.dmsContaining(h.fac, told); n != 1 || h.dmsContaining(h.fac, "shorter sessions or start times further apart with `/circle schedule`") != 1 {
		t.Fatalf("facilitator's DMs %+v", h.sim.DMs(h.fac))
	}
	if n := h.dmsContaining(other, "can't take place"); n != 0 {
		t.Fatalf("a member who didn't answer and wasn't reminded got %d DMs about it", n)
	}
	if got, err := h.store.Session(h.ctx, second.ID); err != nil || got.State != circles.SessionSkipped {
		t.Fatalf("second session %+v %v", got, err)
	}
}
