package bot_test

import (
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// TestEndedMembershipsAreSweptDaily: on the bot's clock, a membership that
// ended is deleted with its consent ledger KeepEnded after it ended, by the
// daily sweep; a facilitator's removal keeps only its bare marker, and still
// holds.
func TestEndedMembershipsAreSweptDaily(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	h.run(h.fac, "circle create", discordsim.O("name", "Grief circle"), discordsim.O("kind", "peer"),
		discordsim.O("weekday", "Tuesday"), discordsim.O("time", "19:00"))
	c := h.circle("Grief circle")
	leaver, removed, stays, later := h.members[0], h.members[1], h.members[2], h.members[3]
	for _, u := range []string{leaver, removed, stays, later} {
		r := h.run(u, "join", discordsim.O("circle", "Grief circle"))
		h.clickOn(u, r, "join", "member")
	}
	r := h.run(leaver, "leave", discordsim.O("circle", "Grief circle"))
	h.clickOn(leaver, r, "leave", "confirm")
	h.run(h.fac, "circle remove", discordsim.O("circle", "Grief circle"), discordsim.O("member", removed))
	h.clock.Advance(12 * time.Hour)
	r = h.run(later, "leave", discordsim.O("circle", "Grief circle"))
	h.clickOn(later, r, "leave", "confirm")

	ledger := func(u string) int {
		t.Helper()
		ev, err := h.store.ConsentLedger(h.ctx, c.ID, u)
		if err != nil {
			t.Fatal(err)
		}
		return len(ev)
	}
	gone := func(u string) bool {
		t.Helper()
		_, err := h.store.Membership(h.ctx, h.guild, c.ID, u)
		if err != nil && circles.ErrorCode(err) != circles.ENotFound {
			t.Fatal(err)
		}
		return err != nil
	}
	housekeeping := func() {
		t.Helper()
		if err := h.bot.Housekeeping(h.ctx); err != nil {
			t.Fatal(err)
		}
	}

	// A day short of the horizon: everything is still there.
	h.clock.Set(t0.Add(bot.DefaultKeepEnded - 24*time.Hour))
	housekeeping()
	if gone(leaver) || ledger(leaver) == 0 || ledger(removed) == 0 {
		t.Fatal("an ended membership was swept before its time")
	}
	// Past it: the leaver's membership and ledger go, the removal is cut
	// down to its marker; the one who stays and the later leaver keep
	// everything.
	h.clock.Advance(25 * time.Hour)
	housekeeping()
	if !gone(leaver) || ledger(leaver) != 0 {
		t.Fatal("the membership that ended past the horizon was kept")
	}
	m, err := h.store.Membership(h.ctx, h.guild, c.ID, removed)
	if err != nil || m.Status != circles.StatusRemoved || !m.JoinedAt.IsZero() || m.RemovedBy != "" || ledger(removed) != 0 {
		t.Fatalf("removal after the sweep = %+v, %v, %d consent events; want a bare marker", m, err, ledger(removed))
	}
	r = h.run(removed, "join", discordsim.O("circle", "Grief circle"))
	if len(r.Buttons()) != 0 {
		t.Fatalf("the removed member is offered to join again after the sweep: %q", r.Content)
	}
	if gone(stays) || ledger(stays) == 0 || gone(later) || ledger(later) == 0 {
		t.Fatal("memberships within the horizon lost data")
	}

	// The sweep is daily: twelve hours on, the later leaver is past the
	// horizon but waits for the next day's sweep.
	h.clock.Advance(12 * time.Hour)
	housekeeping()
	if gone(later) {
		t.Fatal("swept again within the day")
	}
	h.clock.Advance(12 * time.Hour)
	housekeeping()
	if !gone(later) || ledger(later) != 0 {
		t.Fatal("the next day's sweep did not delete the later leaver's membership")
	}
	if gone(stays) || ledger(stays) == 0 {
		t.Fatal("an active membership was swept")
	}
}
