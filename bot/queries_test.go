package bot_test

import (
	"fmt"
	"testing"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// statementsOf runs f and returns how many SQL statements the store ran
// meanwhile (data.Store.Statements, counted on the real SQLite driver).
func (h *harness) statementsOf(f func()) int64 {
	h.t.Helper()
	before := h.store.Statements()
	f()
	return h.store.Statements() - before
}

// TestMemberCommandReadsAreConstant: /circles, /mycircles, /join and a
// join click run as many SQL statements in a server of 50 circles, with a
// member in 46 of them, as in one of 5 with the member in one. Their reads
// are set-based — a few statements for all the circles on the page — not
// a few per circle; a count, since tests don't time.
func TestMemberCommandReadsAreConstant(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.memberSetup()
	m := h.members
	var first circles.Circle
	addCircles := func(from, to int, inAll string) {
		for i := from; i < to; i++ {
			c := h.memberCircle(fmt.Sprintf("Circle %02d", i), 4, true)
			if i == 0 {
				first = c
				h.facJoin(m[0], c, circles.ModeMember)
			}
			if inAll != "" {
				h.facJoin(inAll, c, circles.ModeMember)
			}
			h.facJoin(m[1], c, circles.ModeListener)
		}
	}
	// The fewest of three runs: the bot's own background work (the check
	// of who left the server, after GUILD_CREATE) may add to one.
	measure := func() map[string]int64 {
		out := map[string]int64{}
		least := func(cmd string, n int64) {
			if old, ok := out[cmd]; !ok || n < old {
				out[cmd] = n
			}
		}
		for range 3 {
			least("/circles", h.statementsOf(func() { h.run(m[2], "circles") }))
			least("/mycircles", h.statementsOf(func() { h.run(m[0], "mycircles") }))
			var screen *discordsim.Response
			least("/join", h.statementsOf(func() { screen = h.run(m[2], "join", discordsim.O("circle", circlePick(first))) }))
			least("/join click", h.statementsOf(func() { h.clickOn(m[2], screen, "join", "member") }))
			if _, err := h.store.Leave(h.ctx, h.guild, first.ID, m[2], h.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}

	addCircles(0, 5, "")
	small := measure()
	addCircles(5, 50, m[0])
	large := measure()
	for _, cmd := range []string{"/circles", "/mycircles", "/join", "/join click"} {
		t.Logf("%-12s %3d statements with 5 circles, %3d with 50", cmd, small[cmd], large[cmd])
		if small[cmd] != large[cmd] {
			t.Errorf("%s ran %d SQL statements with 5 circles and %d with 50: its reads grow with the circles", cmd, small[cmd], large[cmd])
		}
	}
}
