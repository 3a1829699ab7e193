package bot

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Circle cards (docs/ROOM.md, "Circle cards"): /circle post publishes a card
// describing a circle — never a member's name — in a channel a
// facilitator picks, with a button that opens the same private consent
// screen as /join. Where each card is is stored (circle_cards), and the
// cards of a circle are edited, coalesced, whenever its seats or next
// session change; a card whose message or channel is gone is forgotten.

func (b *Bot) cardRoutes() {
	b.router.Command("circle post", b.circlePost)
	b.router.Component("card", b.cardButton)
}

// circlePost: /circle post circle: channel:.
func (b *Bot) circlePost(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	if err := c.Editable(); err != nil {
		return nil, err
	}
	channelID := r.Snowflake("channel")
	if channelID == "" {
		return nil, cardNotHere()
	}
	// The channel as Discord has it, not as the client said.
	ch, err := b.dg.Channel(channelID, discordgo.WithContext(ctx))
	if err != nil {
		if isUnknown(err) || isRefused(err) {
			return nil, cardCantPost(channelID)
		}
		return nil, err
	}
	if ch.GuildID != r.GuildID || (ch.Type != discordgo.ChannelTypeGuildText && ch.Type != discordgo.ChannelTypeGuildNews) {
		return nil, cardNotHere()
	}
	if _, err := b.store.SessionByChannel(ctx, channelID); err == nil {
		return nil, cardNotInSession()
	} else if circles.ErrorCode(err) != circles.ENotFound {
		return nil, err
	}
	cards, err := b.store.Cards(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	again := false
	for _, old := range cards {
		if old.ChannelID == channelID {
			again = true
			if err := b.dg.ChannelMessageDelete(old.ChannelID, old.MessageID, discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
				b.log.Warn("deleting a circle's earlier card", "guild", c.GuildID, "circle", c.ID, "err", err)
			}
		}
	}
	if !again && len(cards) >= circles.MaxCardsPerCircle {
		return nil, cardTooMany(len(cards))
	}
	msg, err := b.cardMessage(ctx, c)
	if err != nil {
		return nil, err
	}
	msg.AllowedMentions = noMentions()
	m, err := b.send(ctx, channelID, fmt.Sprintf("card %d %s %d", c.ID, channelID, r.Now.UnixMilli()), msg)
	if err != nil {
		if isRefused(err) || isUnknown(err) {
			return nil, cardCantPost(channelID)
		}
		return nil, err
	}
	if err := b.store.SaveCard(ctx, circles.Card{CircleID: c.ID, GuildID: c.GuildID, ChannelID: channelID, MessageID: m.ID, PostedAt: r.Now}); err != nil {
		return nil, err
	}
	b.log.Info("circle card posted", "guild", c.GuildID, "circle", c.ID, "channel", channelID, "by", r.UserID)
	return Reply("%s", cardPosted(r.Lang, c, channelID, again)), nil
}

// cardMessage renders a circle's card from the store.
func (b *Bot) cardMessage(ctx context.Context, c circles.Circle) (*discordgo.MessageSend, error) {
	now := b.clock.Now()
	states, err := b.circleStates(ctx, c.GuildID, now, c)
	if err != nil {
		return nil, err
	}
	lang := b.circleLang(ctx, c.ID) // a card is public: the circle's language
	e := b.circleEmbed(lang, c, states[c.ID], now)
	for _, f := range e.Fields {
		if f.Name == lang.T("member.next_field") {
			f.Value = b.cardNextText(ctx, lang, c)
		}
	}
	join := Button(cardJoinLabel(lang), discordgo.SuccessButton, CustomID{Action: "card", GuildID: c.GuildID, CircleID: c.ID, Arg: "join"})
	if c.Archived {
		join.Label, join.Disabled = cardArchivedLabel(lang), true
	}
	return &discordgo.MessageSend{
		Content:    cardIntro(lang, c),
		Embeds:     []*discordgo.MessageEmbed{e},
		Components: []discordgo.MessageComponent{Row(join)},
	}, nil
}

// cardNextText is the card's next session. A public card doesn't link
// the session channel, which only its people can see, and counts a session
// in session from the moment people are let in (OpenedAt) until it closes.
func (b *Bot) cardNextText(ctx context.Context, lang i18n.Locale, c circles.Circle) string {
	if c.Archived {
		return cardNoSession(lang, true)
	}
	live, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned, circles.SessionOpen}, Limit: 1})
	if err == nil && len(live) == 1 && !live[0].OpenedAt.IsZero() && live[0].ClosedAt.IsZero() {
		return cardInSession(lang, live[0])
	}
	occ, err := b.sched.Upcoming(ctx, c, 1)
	if err != nil || len(occ) == 0 {
		return cardNoSession(lang, false)
	}
	return Timestamp(occ[0].Start)
}

// cardButton is a card's "Read the guidelines & join": the card is only a
// hint of which circle; the circle comes from the store, in the server the
// click came from, and the answer is /join's private consent screen.
func (b *Bot) cardButton(ctx context.Context, r *Request) (*Response, error) {
	if err := requireGuild(r); err != nil {
		return nil, err
	}
	id := r.CustomID
	if id.GuildID != r.GuildID || id.UserID != "" || id.Arg != "join" || id.SessionID != 0 {
		return nil, errBadCustomID
	}
	c, err := b.circleForButton(ctx, r.GuildID, id.CircleID)
	if err != nil {
		return nil, err
	}
	if c.Archived {
		return nil, cardArchivedRefusal(c)
	}
	prev, err := b.membershipOrNil(ctx, r.GuildID, c.ID, r.UserID)
	if err != nil {
		return nil, err
	}
	return b.joinScreen(ctx, r, c, prev)
}

// cardChanged has a circle's cards brought up to date, coalesced: its
// seats or next session may have changed.
func (b *Bot) cardChanged(guildID string, circleID int64) {
	b.edits.touch(fmt.Sprintf("card %d", circleID), func() { b.refreshCards(guildID, circleID) })
}

// refreshCards edits every card of a circle to show it as it is now.
func (b *Bot) refreshCards(guildID string, circleID int64) {
	ctx := withRetryBudget(b.ctx, budgetFollowup)
	cards, err := b.store.Cards(ctx, circleID)
	if err != nil || len(cards) == 0 {
		if err != nil && b.ctx.Err() == nil {
			b.log.Warn("listing a circle's cards", "guild", guildID, "circle", circleID, "err", err)
		}
		return
	}
	c, err := b.store.Circle(ctx, guildID, circleID)
	if err != nil {
		b.log.Warn("loading a circle for its cards", "guild", guildID, "circle", circleID, "err", err)
		return
	}
	msg, err := b.cardMessage(ctx, c)
	if err != nil {
		b.log.Warn("rendering a circle's card", "guild", guildID, "circle", circleID, "err", err)
		return
	}
	for _, card := range cards {
		_, err := b.dg.ChannelMessageEditComplex(&discordgo.MessageEdit{
			ID: card.MessageID, Channel: card.ChannelID, Content: &msg.Content, Embeds: &msg.Embeds,
			Components: &msg.Components, AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
		switch {
		case err == nil:
		case isUnknown(err):
			b.log.Info("a circle's card is gone; no longer kept current", "guild", guildID, "circle", circleID, "channel", card.ChannelID)
			if err := b.store.DeleteCard(ctx, circleID, card.ChannelID); err != nil {
				b.log.Warn("forgetting a gone card", "guild", guildID, "circle", circleID, "err", err)
			}
		default:
			b.log.Warn("updating a circle's card", "guild", guildID, "circle", circleID, "channel", card.ChannelID, "err", err)
		}
	}
}
