package schedule

import (
	"time"

	"github.com/circlebot/circlebot/circles"
)

// UpcomingAfter returns the circle's next n occurrences after now, leaving
// out those that start when a session in skipped would, any that would
// start before busyUntil (while a session of the circle is under way:
// BusyUntil), and any that would start while the one listed before it
// still runs (a clock change made them overlap); none for an archived
// circle. It reads nothing: Upcoming passes it what the store holds, and
// listings of many circles what one read of them all found
// (circles.Store.CircleStates), so the rule is applied in one place.
func UpcomingAfter(c circles.Circle, now time.Time, skipped []time.Time, busyUntil time.Time, n int) ([]Occurrence, error) {
	if c.Archived || n <= 0 {
		return nil, nil
	}
	rule, err := compile(c.Schedule)
	if err != nil {
		return nil, err
	}
	isSkipped := make(map[int64]bool, len(skipped))
	for _, sk := range skipped {
		isSkipped[sk.UnixMilli()] = true
	}
	out := make([]Occurrence, 0, n)
	after := notBefore(now, busyUntil)
	for range n + len(skipped) + maxPlanAhead {
		o, err := rule.next(after)
		if err != nil {
			return out, err
		}
		after = o.Start
		if isSkipped[o.Start.UnixMilli()] {
			continue
		}
		if len(out) > 0 && o.Start.Before(out[len(out)-1].End) {
			continue // the one before still runs: it can't be held (see planAfter)
		}
		if out = append(out, o); len(out) == n {
			break
		}
	}
	return out, nil
}

// BusyUntil is when those of a circle's sessions that have started by now
// and are open, or planned and not opened yet (opening, or waiting to open
// late), end: a session runs to its end even if the schedule changed
// meanwhile, so no occurrence may start before then. It is the zero time
// when none has. sessions may hold others; they are passed over.
func BusyUntil(sessions []circles.SessionBrief, now time.Time) time.Time {
	by := now.Add(time.Millisecond).UnixMilli() // as stored: whole milliseconds
	var until time.Time
	for _, x := range sessions {
		if (x.State == circles.SessionOpen || x.State == circles.SessionPlanned) && x.Start.UnixMilli() < by && x.End.After(until) {
			until = x.End
		}
	}
	return until
}
