package schedule

import (
	"fmt"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// Frequency bounds how often a circle may meet. Support groups meet
// weekly; a schedule that opens a channel every quarter of an hour would
// fill the server's session category in half a day and starve every other
// circle of it.
type Frequency struct {
	// MinGap is the least time between two of a circle's session starts.
	MinGap time.Duration
	// PerWeek is the most sessions a circle may have in any seven days.
	PerWeek int
}

// Frequency defaults, as in config.example.toml's [defaults].
const (
	DefaultMinGap  = time.Hour
	DefaultPerWeek = 14
)

func (f Frequency) withDefaults() Frequency {
	if f.MinGap <= 0 {
		f.MinGap = DefaultMinGap
	}
	if f.PerWeek <= 0 {
		f.PerWeek = DefaultPerWeek
	}
	return f
}

// CheckFrequency refuses a rule whose sessions would start closer together
// than f.MinGap, or number more than f.PerWeek in any seven days of the
// coming weeks from now, with a message saying how often it would meet.
// A weekly rule always passes.
func CheckFrequency(r circles.Rule, f Frequency, now time.Time) error {
	f = f.withDefaults()
	c, err := compile(r)
	if err != nil {
		return err
	}
	if c.spec == nil {
		return nil
	}
	// The spec goes into a code span, where Discord shows every character
	// as it is (escaping would show the backslashes); a spec that
	// compiled has no backtick to end the span early.
	spec := r.Cron
	if gap, ok := c.minGap(); ok && gap < f.MinGap {
		return circles.Errorf(circles.EInvalid, "`%s` would start a session as often as every %s. circlebot keeps a circle's sessions at least %s apart, and at most %d a week: support groups work best meeting about weekly. Please choose a schedule with fewer sessions.",
			spec, fmtDuration(gap), fmtDuration(f.MinGap), f.PerWeek)
	}
	// The most sessions in any seven days of the calendar (wall-clock
	// time: a week with a 23-hour day is still a week), over the next
	// eight weeks.
	var starts []time.Time
	after := now
	for len(starts) < 8*f.PerWeek+1 {
		o, err := c.next(after)
		if err != nil || o.Start.After(now.AddDate(0, 0, 56)) {
			break
		}
		starts = append(starts, naive(o.Start.In(c.loc)))
		after = o.Start
	}
	most, lo := 0, 0
	for hi := range starts {
		for starts[hi].Sub(starts[lo]) >= 7*24*time.Hour {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	if most > f.PerWeek {
		return circles.Errorf(circles.EInvalid, "`%s` would meet %s a week. circlebot holds at most %d sessions a week per circle: support groups work best meeting about weekly. Please choose a schedule with fewer sessions.",
			spec, timesOf(most), f.PerWeek)
	}
	return nil
}

func timesOf(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}
