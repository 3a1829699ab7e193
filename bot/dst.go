package bot

import (
	"context"
	"fmt"
	"slices"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
)

// SessionOverlapped tells the people who expect a session that it can't be
// held, because the session before it still runs when it should start (a
// daylight-saving change made them overlap; why says how): every
// facilitator, with what to change, whoever answered for it (still a
// member or a facilitator) and, if reminders went out, everyone reminded
// (schedule.Actions). The scheduler marks it skipped afterwards.
func (b *Bot) SessionOverlapped(ctx context.Context, c circles.Circle, s, earlier circles.Session, why string) error {
	ctx = stepContext(ctx)
	members, err := b.store.Memberships(ctx, c.ID)
	if err != nil {
		return err
	}
	rsvps, err := b.store.RSVPs(ctx, s.ID)
	if err != nil {
		return err
	}
	var tell []string
	if s.RemindersSent {
		people, _ := remindees(c, members, nil)
		for _, m := range people {
			tell = append(tell, m.UserID)
		}
	}
	for _, r := range rsvps {
		active := slices.ContainsFunc(members, func(m circles.Membership) bool {
			return m.UserID == r.UserID && m.Status == circles.StatusActive
		})
		if active && !c.IsFacilitator(r.UserID) && !slices.Contains(tell, r.UserID) {
			tell = append(tell, r.UserID)
		}
	}
	text := fmt.Sprintf("🕰️ The session of **%s** on %s can't take place, sorry: %s. It's called off; the session before it, %s, goes ahead as planned. /mycircles in the server shows the next ones.", c.EscapedName(), ShortTimestamp(s.Start), why, ShortTimestamp(earlier.Start))
	for _, u := range tell {
		_ = b.dm(u, &discordgo.MessageSend{Content: text})
	}
	b.tellFacilitators(c, text+"\nTo keep this from happening again, give the circle shorter sessions or start times further apart with `/circle schedule`.")
	b.log.Info("told of a session that overlaps the one before it", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "earlier", earlier.ID, "told", len(tell)+len(c.Facilitators))
	return nil
}
