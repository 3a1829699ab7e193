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
