package bot

import (
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// User-facing words of Discord scheduled events (/circle create and
// /circle edit events:): catalog keys events.*.

// msgEventDescription is an event's public description, in the circle's
// language: the circle's topic and how to take part. Nothing about its
// members.
func msgEventDescription(lang i18n.Locale, c circles.Circle) string {
	s := lang.T("events.description")
	if c.Topic != "" {
		s = c.Topic + "\n\n" + s
	}
	return s
}

// eventsWhat is what circlebot was doing when Discord refused it an event
// (a doing: problems.go).
const eventsWhat = doingEvents

// msgEventsRefused tells facilitators that the circle's sessions can't be
// shown in the Events tab, and how to fix it (advice, from advise).
func msgEventsRefused(lang i18n.Locale, c circles.Circle, advice string) string {
	return lang.T("events.refused", i18n.Args{"Circle": c.EscapedName(), "Advice": advice})
}
