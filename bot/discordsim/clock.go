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
// back: a manual clock set back stops the world until it is ahead again.
// Then Discord's rules about time — an event can't start in the past —
// hold against the bot's idea of now, give or take the real time since
// the manual clock last moved.
func FollowClock(manual func() time.Time) func() time.Time {
	var (
		mu    sync.Mutex
		seen  time.Time // manual's time when last seen changed
		since time.Time // the wall clock then
		last  time.Time // the latest time returned
	)
	return func() time.Time {
		m := manual()
		mu.Lock()
		defer mu.Unlock()
		if !m.Equal(seen) || since.IsZero() {
			seen, since = m, time.Now()
		}
		t := m.Add(time.Since(since))
		if t.Before(last) {
			t = last
		}
		last = t
		return t
	}
}
