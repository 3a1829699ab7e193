package bot

import (
	"fmt"

	"github.com/circlebot/circlebot/circles"
)

// User-facing words of the schedule shapes (every few weeks, nth weekday
// of the month), the confirm step of a schedule change and the choice of
// session to skip, in one place for localisation.

// repeatChoiceNames name the repeat option's choices, by value.
var repeatChoiceNames = []struct{ value, name string }{
	{"weekly", "Every week"},
	{"2w", "Every 2 weeks (fortnightly)"},
	{"3w", "Every 3 weeks"},
	{"4w", "Every 4 weeks"},
	{"m1", "Monthly: the first <weekday> of the month"},
	{"m2", "Monthly: the second <weekday> of the month"},
	{"m3", "Monthly: the third <weekday> of the month"},
	{"m4", "Monthly: the fourth <weekday> of the month"},
	{"mlast", "Monthly: the last <weekday> of the month"},
}

const (
	repeatOptionDescription  = "How often, with weekday: every week (default), every 2–4 weeks, or monthly (first…last weekday)"
	eventsOptionDescription  = "Show each session in the server's Events tab (people who click Interested are visible)"
	skipSessionDescription   = "Which upcoming session to skip (default: the next one)"
	msgRepeatWithCron        = "The repeat option goes with weekday and time; a cron schedule says by itself how often the circle meets. Please give one or the other."
	msgRepeatNeedsWeekday    = "Please also give the weekday and time the circle meets (repeat says how often, weekday and time say when)."
	msgScheduleUnchanged     = "Nothing was changed."
	msgScheduleProposalStale = "This proposal has expired or was already answered (proposals last 15 minutes and don't survive a restart). Please run /circle schedule again."
	msgScheduleChangedSince  = "The schedule of %s was changed by someone else since this proposal. Nothing was saved; please run /circle schedule again to see it."
	msgSkipNotUpcoming       = "That isn't one of the next sessions of %s any more. Please choose again from the list."
)

func msgRepeatUnknown(v string) string {
	return fmt.Sprintf("\"%s\" is not a repeat I know. Choose one from the list.", circles.EscapeMarkdown(v))
}

func msgConfirmSchedule(name string) string {
	return fmt.Sprintf("🗓️ Change when %s meets?", name)
}

const (
	fieldScheduleNow      = "Now"
	fieldScheduleNew      = "New schedule"
	fieldScheduleNext     = "First three sessions under it (in your time zone)"
	fieldScheduleWarnings = "Before you save"
	msgConfirmFooter      = "Nothing changes until you click Save. Members are told by DM about any planned session that moves."
	buttonSaveSchedule    = "Save schedule"
	buttonCancel          = "Cancel"
)

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
