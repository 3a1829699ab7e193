package bot

import (
	"context"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// A session channel someone deletes in Discord ends its session: the bot
// notices (CHANNEL_DELETE, or at GUILD_CREATE for a deletion while it was
// offline), records it (schedule.ChannelLost), and tells the facilitators.
// /join and /circle open then stop pointing at it, and /circle open makes
// a new one.

func (b *Bot) onChannelDelete(_ *discordgo.Session, e *discordgo.ChannelDelete) {
	if e.Channel == nil || e.GuildID == "" || e.Type != discordgo.ChannelTypeGuildText {
		return
	}
	b.channelGone(b.ctx, e.GuildID, e.ID)
}

// channelGone acts on a text channel that no longer exists, if it was a
// live session's. The bot's own deletions (after retention) are of closed
// sessions, which end quietly.
func (b *Bot) channelGone(ctx context.Context, guildID, channelID string) {
	s, err := b.store.SessionByChannel(ctx, channelID)
	if circles.ErrorCode(err) == circles.ENotFound {
		return
	}
	if err != nil {
		b.log.Error("looking up the session of a deleted channel", "guild", guildID, "channel", channelID, "err", err)
		return
	}
	if s.GuildID != guildID || !s.Active() {
		return
	}
	s, live, err := b.sched.ChannelLost(ctx, s.ID, channelID)
	if err != nil {
		b.log.Error("recording a deleted session channel", "guild", guildID, "session", s.ID, "err", err)
		return
	}
	if !live {
		return
	}
	c, err := b.store.CircleByID(ctx, s.CircleID)
	if err != nil {
		b.log.Error("loading the circle of a deleted session channel", "guild", guildID, "circle", s.CircleID, "err", err)
		return
	}
	b.log.Warn("a session's channel was deleted in Discord; the session has ended", "guild", guildID, "circle", c.ID, "session", s.ID, "channel", channelID)
	b.tellFacilitatorsIn(c, func(l i18n.Locale) string {
		return l.T("channels.deleted_dm", i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(s.Start)})
	})
}

// findLostChannels ends the live sessions of a server whose channels are
// not among its channels any more: deleted while the bot was offline,
// which no CHANNEL_DELETE will ever tell. GUILD_CREATE lists every
// channel, but as it was when sent: a channel missing from it may have
// been made since (an open running meanwhile), so Discord is asked about
// each one before its session is ended.
func (b *Bot) findLostChannels(ctx context.Context, g *discordgo.GuildCreate) {
	if len(g.Channels) == 0 {
		return // no channel list to go by
	}
	live, err := b.store.Sessions(ctx, circles.SessionFilter{GuildID: g.ID, States: []circles.SessionState{circles.SessionPlanned, circles.SessionOpen}})
	if err != nil {
		b.log.Error("listing live sessions to check their channels", "guild", g.ID, "err", err)
		return
	}
	exists := make(map[string]bool, len(g.Channels))
	for _, ch := range g.Channels {
		exists[ch.ID] = true
	}
	for _, s := range live {
		if s.ChannelID == "" || exists[s.ChannelID] {
			continue
		}
		if _, err := b.dg.Channel(s.ChannelID, discordgo.WithContext(ctx)); isUnknown(err) {
			b.channelGone(ctx, g.ID, s.ChannelID)
		}
	}
}
