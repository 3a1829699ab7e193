package bot

import "github.com/circlebot/circlebot/circles"

// User-facing words of Discord scheduled events (/circle create and
// /circle edit events:), in one place for localisation.

const (
	msgEventsNeedPermission = "To show sessions in the Events tab I need the **Create Events** permission in this server (Server Settings → Roles → circlebot's role). Nothing was changed."
	msgEventsOnNote         = "📅 Each upcoming session now shows in the server's **Events** tab, so people can click **Interested** and get Discord's reminder. Note: **who clicks Interested is visible to everyone in the server** — members who'd rather keep their circles private can use /mycircles and its calendar file instead. The event says where to go (join with /join first), never the channel."
	msgEventsOffNote        = "📅 Sessions no longer show in the Events tab; their events are cancelled."
)

// msgEventDescription is an event's public description: the circle's
// topic and how to take part. Nothing about its members.
func msgEventDescription(c circles.Circle) string {
	s := "A peer support circle. To take part, read its guidelines and join with /join — the session channel opens at the start time for members."
	if c.Topic != "" {
		s = c.Topic + "\n\n" + s
	}
	return s
}
