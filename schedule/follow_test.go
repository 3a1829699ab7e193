package schedule

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// follower is a recorder that is also a PlanFollower, failing on demand.
type follower struct {
	*recorder
	mu    sync.Mutex
	fails int
	at    []time.Time // the clock at each FollowPlan
}

func (f *follower) FollowPlan(context.Context, circles.Circle) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = append(f.at, f.clock.Now())
	if f.fails > 0 {
		f.fails--
		return errBoom
	}
	return nil
}

func (f *follower) times() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.at)
}

// The scheduler's own planning is followed — at Reconcile and after an
// open — and a failed follow is retried after RetryDelay, then twice as
// long after each round that fails again, until it works.
func TestPlanFollowerRetried(t *testing.T) {
	e := newEnv(t)
	f := &follower{recorder: e.act}
	e.sched = New(Options{Store: e.store, Actions: f, Clock: e.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	c := e.tuesdayCircle()
	if err := e.sched.Reconcile(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(f.times()); n != 1 {
		t.Fatalf("Reconcile followed %d times, want once", n)
	}
	s := e.plan(c)
	f.fails = 3
	e.at(s.Start)
	for _, d := range []time.Duration{0, 30 * time.Second, time.Minute, 2 * time.Minute, 3 * time.Minute, 6 * time.Minute, 7 * time.Minute, 30 * time.Minute} {
		e.at(s.Start.Add(d))
		if _, err := e.sched.RunDue(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	var got []time.Duration
	for _, at := range f.times()[1:] {
		got = append(got, at.Sub(s.Start))
	}
	// The open, then retries after 1, 2 and 4 minutes; the last works.
	if want := []time.Duration{0, time.Minute, 3 * time.Minute, 7 * time.Minute}; !slices.Equal(got, want) {
		t.Fatalf("followed at %v after the start, want %v", got, want)
	}
}
