package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Words of schedules: rules in words (catalog keys rule.*) and the choice
// of session to skip; the confirm step's words are the catalog's
// schedule.* keys.

// repeatValues are the repeat option's choices; their names are the
// catalog's choice.repeat.<value>.
var repeatValues = []string{"weekly", "2w", "3w", "4w", "m1", "m2", "m3", "m4", "mlast"}

// describeRule puts a schedule rule in words, in lang: "Every Tuesday at
// 19:00 (Europe/Berlin), 60 minutes", "Every 2 weeks on Tuesday at …",
// "On the first Tuesday of every month at …", or its cron spec.
func describeRule(lang i18n.Locale, r circles.Rule) string {
	args := i18n.Args{"Zone": r.TimeZone, "Minutes": int(r.Duration.Minutes())}
	if r.Cron != "" {
		args["Cron"] = r.Cron
		return lang.T("rule.cron", args)
	}
	args["Weekday"] = lang.T("weekday." + strings.ToLower(r.Weekday.String()))
	args["Time"] = fmt.Sprintf("%02d:%02d", r.Hour, r.Minute)
	switch {
	case r.NthWeekday == circles.LastWeekday:
		args["Nth"] = lang.T("rule.nth_last")
		return lang.T("rule.nth", args)
	case r.NthWeekday >= 1 && r.NthWeekday <= 4:
		args["Nth"] = lang.T("rule.nth_" + strconv.Itoa(r.NthWeekday))
		return lang.T("rule.nth", args)
	case r.EveryWeeks > 1:
		args["Weeks"] = r.EveryWeeks
		return lang.T("rule.every_weeks", args)
	}
	return lang.T("rule.weekly", args)
}

// skipChoiceName names an upcoming session in the skip autocomplete, in
// the circle's zone (autocomplete can't show <t:…> timestamps).
func skipChoiceName(lang i18n.Locale, when string, zone string, i int) string {
	if i == 0 {
		return lang.T("schedule.skip_next_choice", i18n.Args{"When": when, "Zone": zone})
	}
	return fmt.Sprintf("%s (%s)", when, zone)
}
