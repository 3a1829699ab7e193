package circles

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rule says when a circle meets: weekly on a weekday at a wall-clock time, or
// by a 5-field cron spec, in an IANA time zone, for a duration. The schedule
// package turns rules into occurrences.
type Rule struct {
	Weekday time.Weekday `json:"weekday"`
	Hour    int          `json:"hour"`
	Minute  int          `json:"minute"`
	// EveryWeeks is the number of weeks between sessions of a weekday
	// rule: 0 (or 1) every week, 2 fortnightly, up to MaxEveryWeeks.
	// Which weeks is counted from Anchor.
	EveryWeeks int `json:"every_weeks,omitempty"`
	// Anchor is the date (YYYY-MM-DD, in the rule's zone) of one session
	// of an EveryWeeks > 1 rule, on its Weekday; the schedule package sets
	// it when such a rule is saved (schedule.Anchored).
	Anchor string `json:"anchor,omitempty"`
	// NthWeekday makes a weekday rule monthly: the circle meets on the
	// nth Weekday of each month, 1 to 4, or LastWeekday (-1) for the last
	// one. 0 = not monthly. It excludes EveryWeeks.
	NthWeekday int           `json:"nth_weekday,omitempty"`
	Cron       string        `json:"cron,omitempty"` // when set, Weekday/Hour/Minute (and the above) are ignored
	TimeZone   string        `json:"timezone"`
	Duration   time.Duration `json:"duration"`
}

// Limits of the recurrence shapes, as Discord's own recurrence rules
// offer them (an interval of weeks, a monthly nth weekday).
const (
	MaxEveryWeeks = 4
	LastWeekday   = -1
)

// AnchorLayout is how Rule.Anchor is written.
const AnchorLayout = "2006-01-02"

// Weekly returns a weekly rule.
func Weekly(day time.Weekday, hour, minute int, zone string, d time.Duration) Rule {
	return Rule{Weekday: day, Hour: hour, Minute: minute, TimeZone: zone, Duration: d}
}

// Location loads the rule's zone; UTC when empty or unknown (Validate catches that).
func (r Rule) Location() *time.Location {
	if r.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Validate checks the parts of a rule that need no cron parser; the schedule
// package parses cron specs fully.
func (r Rule) Validate() error {
	if err := ValidateTimeZone(r.TimeZone); err != nil {
		return err
	}
	if r.Duration < MinSessionDuration || r.Duration > MaxSessionDuration {
		return Errorf(EInvalid, "Sessions must last between %d minutes and %d hours; got %s.", int(MinSessionDuration.Minutes()), int(MaxSessionDuration.Hours()), r.Duration)
	}
	if r.Cron != "" {
		if n := len(strings.Fields(r.Cron)); n != 5 {
			return Errorf(EInvalid, "A cron schedule has 5 fields (minute hour day-of-month month day-of-week), like `0 19 * * TUE`; \"%s\" has %d.", EscapeMarkdown(r.Cron), n)
		}
		return nil
	}
	if r.Weekday < time.Sunday || r.Weekday > time.Saturday {
		return Errorf(EInvalid, "The weekday must be Monday to Sunday.")
	}
	if r.EveryWeeks < 0 || r.EveryWeeks > MaxEveryWeeks {
		return Errorf(EInvalid, "A circle can meet every week up to every %d weeks; got every %d.", MaxEveryWeeks, r.EveryWeeks)
	}
	if r.NthWeekday != 0 && (r.NthWeekday < LastWeekday || r.NthWeekday > 4) {
		return Errorf(EInvalid, "A monthly circle meets on the first, second, third, fourth or last weekday of the month.")
	}
	if r.NthWeekday != 0 && r.EveryWeeks > 1 {
		return Errorf(EInvalid, "Please choose either every few weeks or a weekday of the month, not both.")
	}
	if r.Anchor != "" {
		d, err := time.Parse(AnchorLayout, r.Anchor)
		if err != nil || d.Weekday() != r.Weekday {
			return Errorf(EInvalid, "The first date of an every-few-weeks schedule must be a %s.", r.Weekday)
		}
	}
	if r.Hour < 0 || r.Hour > 23 || r.Minute < 0 || r.Minute > 59 {
		return Errorf(EInvalid, "The time must be between 00:00 and 23:59; got %02d:%02d.", r.Hour, r.Minute)
	}
	return nil
}

// String describes the rule for people: "Tuesdays at 19:00 (Europe/Berlin), 90 min".
func (r Rule) String() string {
	mins := int(r.Duration.Minutes())
	if r.Cron != "" {
		return fmt.Sprintf("cron `%s` (%s), %d min", r.Cron, r.TimeZone, mins)
	}
	return fmt.Sprintf("%s at %02d:%02d (%s), %d min", r.Pattern(), r.Hour, r.Minute, r.TimeZone, mins)
}

// Weeks is the number of weeks between sessions of a weekday rule (1 for
// a weekly one); 0 for cron and monthly rules.
func (r Rule) Weeks() int {
	if r.Cron != "" || r.NthWeekday != 0 {
		return 0
	}
	return max(r.EveryWeeks, 1)
}

// Pattern says on which days a weekday rule meets: "Tuesdays", "every 2
// weeks on Tuesday", "the first Tuesday of the month", "the last Friday
// of the month". Empty for a cron rule.
func (r Rule) Pattern() string {
	switch {
	case r.Cron != "":
		return ""
	case r.NthWeekday != 0:
		return fmt.Sprintf("the %s %s of the month", NthName(r.NthWeekday), r.Weekday)
	case r.EveryWeeks > 1:
		return fmt.Sprintf("every %d weeks on %s", r.EveryWeeks, r.Weekday)
	}
	return r.Weekday.String() + "s"
}

// NthName names a NthWeekday: "first" … "fourth", "last".
func NthName(n int) string {
	switch n {
	case 1:
		return "first"
	case 2:
		return "second"
	case 3:
		return "third"
	case 4:
		return "fourth"
	case LastWeekday:
		return "last"
	}
	return fmt.Sprintf("%dth", n)
}

// ValidateTimeZone checks an IANA zone name such as "Europe/Berlin".
func ValidateTimeZone(zone string) error {
	if zone == "" {
		return Errorf(EInvalid, "Please choose a time zone, like Europe/Berlin or America/New_York.")
	}
	if strings.EqualFold(zone, "local") {
		return Errorf(EInvalid, "Please choose a named time zone, like Europe/Berlin, rather than \"%s\".", EscapeMarkdown(zone))
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return Errorf(EInvalid, "\"%s\" is not a time zone I know. Use an IANA name like Europe/Berlin or America/New_York (start typing to see suggestions).", EscapeMarkdown(zone))
	}
	return nil
}

// ParseWeekday accepts English weekday names and their 3-letter forms, any case.
func ParseWeekday(s string) (time.Weekday, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] || s == name+"s" {
			return d, nil
		}
	}
	return 0, Errorf(EInvalid, "\"%s\" is not a weekday. Use Monday, Tuesday, … or Mon, Tue, ….", EscapeMarkdown(s))
}

// ParseClock parses a 24-hour "HH:MM" time.
func ParseClock(s string) (hour, minute int, err error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if ok {
		hour, err1 := strconv.Atoi(h)
		minute, err2 := strconv.Atoi(m)
		// Atoi also takes a sign and any number of leading zeros.
		digits := len(h) <= 2 && len(m) == 2 && !strings.ContainsAny(h+m, "+-")
		if err1 == nil && err2 == nil && digits && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 {
			return hour, minute, nil
		}
	}
	return 0, 0, Errorf(EInvalid, "\"%s\" is not a time. Use 24-hour HH:MM, like 19:00 or 07:30.", EscapeMarkdown(s))
}
