package discordsim

import (
	"testing"
	"time"
)

// FollowClock jumps with the manual clock, runs on between its moves, and
// never goes back.
func TestFollowClock(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	manual := t0
	now := FollowClock(func() time.Time { return manual })
	if got := now(); got.Before(t0) || got.After(t0.Add(time.Minute)) {
		t.Fatalf("at first %v, want about %v", got, t0)
	}
	manual = t0.Add(24 * time.Hour)
	a := now()
	if a.Before(manual) || a.After(manual.Add(time.Minute)) {
		t.Fatalf("after a jump %v, want about %v", a, manual)
	}
	b := now()
	if b.Before(a) {
		t.Fatalf("went back from %v to %v", a, b)
	}
	manual = t0 // set back: the world keeps going from where it was
	if c := now(); c.Before(b) {
		t.Fatalf("set back: %v before %v", c, b)
	}
}
