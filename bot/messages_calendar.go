package bot

import (
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// User-facing words of the calendar file (/mycircles → Add to calendar):
// catalog keys calendar.*, in the member's language.

// eventLocation is where a session happens, for calendars and the
// server's Events tab: never the channel, which only consent opens.
func eventLocation(lang i18n.Locale) string { return lang.T("calendar.location") }

// msgCalendarDescription is the event's description: the topic and the
// peer-support note, nothing about anyone in it.
func msgCalendarDescription(lang i18n.Locale, c circles.Circle) string {
	s := lang.T("calendar.description")
	if c.Topic != "" {
		s = c.Topic + "\n\n" + s
	}
	return s
}
