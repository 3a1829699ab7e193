package schedule

import (
	"strconv"
	"strings"

	"github.com/circlebot/circlebot/circles"
)

// cronField describes one of the five fields of a cron spec for people.
type cronField struct {
	name     string
	min, max int
	names    []string // accepted names, index = value - min (month, day of week)
	example  string
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59, example: "`0-30`"},
	{name: "hour", min: 0, max: 23, example: "`18-20`"},
	{name: "day-of-month", min: 1, max: 31, example: "`1-7`"},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}, example: "`JAN-MAR`"},
	{name: "day-of-week", min: 0, max: 6, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}, example: "`MON-FRI`"},
}

// cronFieldError says in words what is wrong with a cron spec's fields,
// or returns nil. robfig/cron's own errors name Go internals
// (`strconv.Atoi: parsing "5L"`), which people should never see.
func cronFieldError(spec string) error {
	fields := strings.Fields(spec)
	if len(fields) != len(cronFields) {
		return nil // the field count has its own message
	}
	for i, f := range fields {
		if why := cronFields[i].check(f); why != "" {
			d := cronFields[i]
			return circles.Errorf(circles.EInvalid, "In the cron schedule `%s`, the %s field `%s` %s. The %s takes %d–%d, a range like %s, a list like `1,3` or a step like `*/2`. circlebot doesn't support `L`, `W` or `#`; for \"first Tuesday\" or \"last Friday\" use the weekday and repeat options instead.",
				code(spec), d.name, code(f), why, d.name, d.min, d.max, d.example)
		}
	}
	return nil
}

// check returns why a field is not valid, or "".
func (d cronField) check(f string) string {
	for _, part := range strings.Split(f, ",") {
		rng, step, hasStep := strings.Cut(part, "/")
		if hasStep {
			n, err := strconv.Atoi(step)
			if err != nil || n <= 0 || strings.ContainsAny(step, "+-") {
				return "has a step that is not a positive whole number"
			}
		}
		if rng == "*" || rng == "?" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, ok := d.value(lo)
		if !ok {
			return "is not a number or name it understands"
		}
		b := a
		if isRange {
			if b, ok = d.value(hi); !ok {
				return "is not a number or name it understands"
			}
		}
		if a < d.min || b > d.max {
			return "is out of range"
		}
		if a > b {
			return "has a range that ends before it starts"
		}
	}
	return ""
}

// value reads a number or one of the field's names.
func (d cronField) value(s string) (int, bool) {
	if s == "" || strings.ContainsAny(s, "+-") {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	for i, name := range d.names {
		if strings.EqualFold(s, name) {
			return d.min + i, true
		}
	}
	return 0, false
}

// CronWarnings lists what a facilitator should know about a rule before
// saving it, in words: a cron spec that restricts both the day of the
// month and the day of the week meets on either (cron ORs them), so
// `0 19 1-7 * 2` is every Tuesday and the 1st to 7th, not the first
// Tuesday. None for weekday rules and specs that don't parse.
func CronWarnings(r circles.Rule) []string {
	if r.Cron == "" {
		return nil
	}
	c, err := compile(r)
	if err != nil || c.spec == nil {
		return nil
	}
	if c.spec.Dom&starBit != 0 || c.spec.Dow&starBit != 0 {
		return nil
	}
	f := strings.Fields(r.Cron)
	return []string{"⚠️ `" + code(r.Cron) + "` names both days of the month (`" + code(f[2]) + "`) and days of the week (`" + code(f[4]) + "`): cron meets on a day that matches **either**, not both. So `0 19 1-7 * 2` is every Tuesday *and* the 1st to 7th — not the first Tuesday. For that, use `weekday:Tuesday` `repeat:First of the month` instead."}
}

// code makes s safe inside a Markdown code span, where nothing else needs
// escaping: a backquote would end it.
func code(s string) string { return strings.ReplaceAll(s, "`", "ˋ") }
