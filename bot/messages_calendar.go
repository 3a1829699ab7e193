package bot

import (
	"fmt"

	"github.com/circlebot/circlebot/circles"
)

// User-facing words of the calendar file (/mycircles → Add to calendar),
// in one place for localisation.

const (
	buttonAddToCalendar = "📅 Add to calendar"
	calendarName        = "circlebot circles"
	msgCalendarEmpty    = "You have no seat in a circle here yet, so there's nothing to add to a calendar. (Waitlist places are left out until you're in.)"
	// eventLocation is where a session happens, for calendars and the
	// server's Events tab: never the channel, which only consent opens.
	eventLocation = "Private circle channel — join with /join first"
)

func msgCalendarReady(n int) string {
	return fmt.Sprintf("📅 Your %d circle%s as a calendar file. Open it on your phone or computer to add the sessions to your calendar; only you can see this file. Skipped sessions are left out — if a schedule changes, add the file again.", n, plural(n))
}

// msgCalendarDescription is the event's description: the topic and the
// peer-support note, nothing about anyone in it.
func msgCalendarDescription(c circles.Circle) string {
	s := "circlebot peer support circle."
	if c.Topic != "" {
		s = c.Topic + "\n\n" + s
	}
	return s + " The session channel opens at the start time in Discord, for members who agreed to the guidelines."
}

func msgCalendarRDates(n int) string {
	return fmt.Sprintf("This circle's schedule can't be written as a calendar repeat rule, so its next %d sessions are listed; add the file again later for more.", n)
}
