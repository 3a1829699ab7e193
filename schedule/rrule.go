package schedule

import (
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// icalDays are RFC 5545's weekday codes, by time.Weekday.
var icalDays = [7]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// RRule expresses a rule as an RFC 5545 recurrence rule (without the
// "RRULE:" name), to go with a DTSTART at one of its occurrences in its
// zone: FREQ=WEEKLY;BYDAY=TU, FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,
// FREQ=MONTHLY;BYDAY=1TU or BYDAY=-1FR. A cron spec is expressed when it
// names one time of day, every day of the month and every month (then the
// days of the week are a BYDAY list, or FREQ=DAILY); ok is false for any
// other, whose dates a calendar must list one by one (RDATE).
func RRule(r circles.Rule) (rule string, ok bool) {
	switch {
	case r.Cron == "" && r.NthWeekday != 0:
		return "FREQ=MONTHLY;BYDAY=" + strconv.Itoa(r.NthWeekday) + icalDays[r.Weekday], true
	case r.Cron == "" && r.EveryWeeks > 1:
		return "FREQ=WEEKLY;INTERVAL=" + strconv.Itoa(r.EveryWeeks) + ";BYDAY=" + icalDays[r.Weekday], true
	case r.Cron == "":
		return "FREQ=WEEKLY;BYDAY=" + icalDays[r.Weekday], true
	}
	c, err := compile(r)
	if err != nil || c.spec == nil || len(c.minutes) != 1 {
		return "", false
	}
	s := c.spec
	allDom := s.Dom&starBit != 0 || bits.OnesCount64(s.Dom&^starBit) == 31
	allMonths := bits.OnesCount64(s.Month&^starBit) == 12
	if !allDom || !allMonths {
		return "", false
	}
	var days []string
	for d := time.Sunday; d <= time.Saturday; d++ {
		if s.Dow&(1<<uint(d)) != 0 {
			days = append(days, icalDays[d])
		}
	}
	if len(days) == 7 {
		return "FREQ=DAILY", true
	}
	return "FREQ=WEEKLY;BYDAY=" + strings.Join(days, ","), true
}
