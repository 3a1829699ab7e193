package bot

import (
	"fmt"

	"github.com/circlebot/circlebot/circles"
)

// Words of the schedule shapes (every few weeks, nth weekday of the
// month) and of the choice of session to skip, still English: they are
// part of describeRule (facilitator.go). The confirm step's words are the
// catalog's schedule.* keys.

// repeatValues are the repeat option's choices; their names are the
// catalog's choice.repeat.<value>.
var repeatValues = []string{"weekly", "2w", "3w", "4w", "m1", "m2", "m3", "m4", "mlast"}

// describeShape says how often a weekday rule meets, in a sentence part:
// "Every Tuesday", "Every 2 weeks on Tuesday (from 8 Dec 2026)", "On the
// first Tuesday of every month".
func describeShape(r circles.Rule) string {
	switch {
	case r.NthWeekday != 0:
		return fmt.Sprintf("On the %s %s of every month", circles.NthName(r.NthWeekday), r.Weekday)
	case r.EveryWeeks > 1:
		return fmt.Sprintf("Every %d weeks on %s", r.EveryWeeks, r.Weekday)
	}
	return "Every " + r.Weekday.String()
}

// skipChoiceName names an upcoming session in the skip autocomplete, in
// the circle's zone (autocomplete can't show <t:…> timestamps).
func skipChoiceName(when string, zone string, i int) string {
	if i == 0 {
		return fmt.Sprintf("%s (%s) — the next one", when, zone)
	}
	return fmt.Sprintf("%s (%s)", when, zone)
}
