package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

func TestRosterWhoIsComing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	c, s := h.lcCircle("Grief circle", time.Wednesday, 14, 0, nil)
	m := h.members
	for _, u := range m[:4] {
		h.lcJoin(c, u, circles.ModeMember)
	}
	if _, err := h.store.SetRSVP(h.ctx, h.guild, s.ID, m[0], circles.RSVPGoing, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.SetRSVP(h.ctx, h.guild, s.ID, m[1], circles.RSVPSkip, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// m[2] has closed DMs and misses the reminder.
	h.sim.SetDMsClosed(m[2], true)
	h.lcAt(s.Start.Add(-time.Hour))
	if len(h.sim.DMs(m[2])) != 0 || len(h.sim.DMs(m[3])) == 0 {
		t.Fatal("reminders not as expected")
	}

	r := h.run(h.fac, "circle roster", discordsim.O("circle", "Grief circle"))
	if !r.Ephemeral {
		t.Fatal("the roster is public")
	}
	text := responseText(r)
	// Five people: four members and the facilitator.
	wantContains(t, text, "Who is coming", "**1 going** · 1 skipping · 3 haven't answered", "Going: <@"+m[0]+">",
		"1 person can't be reached by DM")
	for _, line := range strings.Split(text, "\n") {
		closed := strings.Contains(line, "DMs closed")
		if strings.Contains(line, "<@"+m[2]+"> ·") != closed {
			t.Fatalf("roster line %q", line)
		}
	}
	// The next sessions are counted too, with nobody answered yet.
	wantContains(t, text, "**0 going** · 0 skipping · 5 haven't answered")

	sched := responseText(h.run(h.fac, "circle schedule", discordsim.O("circle", "Grief circle")))
	wantContains(t, sched, "**1 going** · 1 skipping · 3 haven't answered", "Going: <@"+m[0]+">")

	// A DM that gets through clears the mark.
	h.sim.SetDMsClosed(m[2], false)
	h.run(h.fac, "circle skip", discordsim.O("circle", "Grief circle"))
	if ms, err := h.store.Membership(h.ctx, h.guild, c.ID, m[2]); err != nil || !ms.DMUnreachableAt.IsZero() {
		t.Fatalf("after a DM got through: %+v %v", ms, err)
	}
	if text := responseText(h.run(h.fac, "circle roster", discordsim.O("circle", "Grief circle"))); strings.Contains(text, "DMs closed") {
		t.Fatalf("still marked: %q", text)
	}
}
