package discordsim

import (
	"sync"
	"time"
)

// FollowClock returns a world clock (Options.Now) that agrees with a test's
// or the demo's manual clock (manual): from the instant manual was last
// set, it runs on in real time, so that rate-limit windows, interaction
// deadlines and the rest still pass while the manual clock stands still,
// and a jump of the manual clock is a jump of the world's. It never goes
// back, and never stands still: after the manual clock is set back, the
// world runs on in real time from where it was until the manual clock is
// ahead again (a rate-limit window must always end). Then Discord's rules
// about time — an event can't start in the past — hold against the bot's
// idea of now, give or take the real time since the manual clock moved.
func FollowClock(manual func() time.Time) func() time.Time {
	var (
		mu       sync.Mutex
		seen     time.Time // manual's time when last seen changed
		seenAt   time.Time // the wall clock then
		last     time.Time // the latest time returned
		lastWall time.Time // the wall clock then
	)
	return func() time.Time {
		m := manual()
		wall := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if !m.Equal(seen) || seenAt.IsZero() {
			seen, seenAt = m, wall
		}
		t := m.Add(wall.Sub(seenAt))
		if !lastWall.IsZero() {
			if run := last.Add(wall.Sub(lastWall)); t.Before(run) {
				t = run
			}
		}
		last, lastWall = t, wall
		return t
	}
}
