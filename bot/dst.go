package bot

import (
	"context"
	"slices"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
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
	overlap := func(l i18n.Locale) string {
		return l.T("dm.overlap", i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(s.Start), "Why": overlapNoteText(l, why), "Earlier": ShortTimestamp(earlier.Start)})
	}
	for _, u := range tell {
		_ = b.dmIn(c.GuildID, u, func(l i18n.Locale) *discordgo.MessageSend {
			return &discordgo.MessageSend{Content: overlap(l)}
		})
	}
	b.tellFacilitatorsIn(c, func(l i18n.Locale) string { return overlap(l) + "\n" + l.T("dm.overlap_advice") })
	b.log.Info("told of a session that overlaps the one before it", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "earlier", earlier.ID, "told", len(tell)+len(c.Facilitators))
	return nil
}
