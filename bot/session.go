package bot

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// sessionRoutes registers the session lifecycle's handlers: the re-consent
// button of the DM sent to members whose consent is stale, the "I'm here"
// button of the facilitator-presence alert, and the "Flag to facilitators"
// message command.
func (b *Bot) sessionRoutes() {
	b.router.Component("reconsent", b.reconsentButton)
	b.router.Component("present", b.presentButton)
	b.router.Command(FlagCommand, b.flagMessage)
}

// presentButton is "I'm here" on the DM that alerts facilitators to a
// session opened without one: it marks the facilitator present (see
// markPresent). The button names the session and nothing else; a custom_id
// with more in it (an Arg) was not made by the bot.
func (b *Bot) presentButton(ctx context.Context, r *Request) (*Response, error) {
	guildID, err := buttonGuild(r)
	if err != nil {
		return nil, err
	}
	if r.CustomID.Arg != "" {
		return nil, errBadCustomID
	}
	s, c, err := b.sessionForButton(ctx, guildID, r.CustomID, "session.gone")
	if err != nil {
		return nil, err
	}
	if !c.IsFacilitator(r.UserID) {
		return nil, lerr(circles.EForbidden, "present.not_facilitator", i18n.Args{"Circle": c.EscapedName()})
	}
	if s.ChannelID == "" || !s.ClosedAt.IsZero() || (s.State != circles.SessionOpen && s.State != circles.SessionPlanned) {
		return nil, lerr(circles.EConflict, "present.ended", i18n.Args{"Circle": c.EscapedName()})
	}
	if err := b.markPresent(ctx, c, s, r.UserID); err != nil {
		return nil, err
	}
	return &Response{Update: true, Components: []discordgo.MessageComponent{}, Content: r.T("present.marked", i18n.Args{"Channel": "<#" + s.ChannelID + ">"})}, nil
}

// markPresent records that a facilitator is in a session: an RSVP going
// (what the facilitator-presence gate counts), access to the channel if
// they lack it, and — if the session opened with the gate's notice — word
// in the channel that a facilitator has joined: the notice stored on the
// session (GateMessageID) is edited to say so, or, should it not be known,
// a note is posted the first time a facilitator is marked present.
func (b *Bot) markPresent(ctx context.Context, c circles.Circle, s circles.Session, userID string) error {
	rsvps, err := b.store.RSVPs(ctx, s.ID)
	if err != nil {
		return err
	}
	already := circles.FacilitatorPresent(c, rsvps)
	if _, err := b.store.SetRSVP(ctx, c.GuildID, s.ID, userID, circles.RSVPGoing, b.clock.Now()); err != nil {
		return err
	}
	if err := b.syncOrRetry(ctx, c, s); err != nil {
		return err
	}
	if s, err = b.store.Session(ctx, s.ID); err != nil {
		return err
	}
	log := b.log.With("guild", c.GuildID, "circle", c.ID, "session", s.ID)
	if !s.FacilitatorAlerted || s.ChannelID == "" {
		log.Info("facilitator present")
		return nil
	}
	text := joinedNotice(b.circleLang(ctx, c.ID), userID)
	switch {
	case s.GateMessageID != "":
		if _, err := b.dg.ChannelMessageEditComplex(&discordgo.MessageEdit{
			ID: s.GateMessageID, Channel: s.ChannelID, Content: &text, AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
			return fmt.Errorf("updating the facilitator notice: %w", err)
		}
	case !already:
		if _, err := b.post(ctx, s.ChannelID, "joined", nonceKey(s.ID, "joined", 0), &discordgo.MessageSend{Content: text}); err != nil && !isUnknown(err) {
			return err
		}
	}
	log.Info("facilitator present; members told")
	return nil
}

// reconsentButton records consent to the current guidelines from the DM
// button and lets the member into a running session at once. The button
// is clicked in a DM, so the guild comes from the custom_id — only a hint:
// the button must be the clicker's own, and the store checks that the
// clicker is a member of that guild's circle.
func (b *Bot) reconsentButton(ctx context.Context, r *Request) (*Response, error) {
	if err := checkButtonOwner(r); err != nil {
		return nil, err
	}
	id := r.CustomID
	guildID := r.GuildID
	if guildID == "" {
		guildID = id.GuildID
	}
	m, err := b.store.Reconsent(ctx, guildID, id.CircleID, r.UserID, id.Version, r.Now)
	if err != nil {
		if circles.ErrorCode(err) == circles.EConflict {
			// The guidelines changed again since the DM: show the current
			// version with a fresh button instead of a dead end.
			if c, cerr := b.store.Circle(ctx, guildID, id.CircleID); cerr == nil && c.Guidelines.Version != id.Version {
				msg := reconsentMessage(r.Lang, c, r.UserID, r.T("reconsent.changed_again", i18n.Args{"Circle": c.EscapedName(), "Version": c.Guidelines.Version}))
				return &Response{Update: true, Content: msg.Content, Embeds: msg.Embeds, Components: msg.Components}, nil
			}
		}
		return nil, err
	}
	c, err := b.store.Circle(ctx, guildID, id.CircleID)
	if err != nil {
		return nil, err
	}
	b.log.Info("consent renewed", "guild", guildID, "circle", c.ID, "version", m.ConsentVersion)
	text := r.T("reconsent.thanks", i18n.Args{"Version": id.Version, "Circle": c.EscapedName()})
	if err := b.refreshAccess(ctx, guildID, c.ID); err != nil {
		// Consent is recorded; pressing the button again only retries
		// the channel update, so leave it in place.
		b.log.Error("letting a member in after re-consent", "guild", guildID, "circle", c.ID, "err", err)
		return &Response{Content: text + " " + r.T("reconsent.retry")}, nil
	}
	if open, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}}); err == nil && len(open) > 0 && open[0].ChannelID != "" && m.Status == circles.StatusActive {
		text += " " + r.T("reconsent.session_on", i18n.Args{"Channel": "<#" + open[0].ChannelID + ">"})
	} else if m.Status == circles.StatusWaitlisted {
		text += " " + r.T("reconsent.still_waitlisted")
	} else {
		text += " " + r.T("reconsent.next_session")
	}
	return &Response{Update: true, Content: text, Components: []discordgo.MessageComponent{}}, nil
}

// flagMessage is the "Flag to facilitators" message command: it tells the
// circle's facilitators privately which message needs their attention, as
// a link. The message's content is neither read nor stored, and the
// facilitators aren't told who flagged it, so flagging feels safe.
func (b *Bot) flagMessage(ctx context.Context, r *Request) (*Response, error) {
	if err := requireGuild(r); err != nil {
		return nil, err
	}
	notHere := lerr(circles.EInvalid, "flag.not_here", i18n.Args{"Flag": r.T("menu.flag")})
	channelID := r.Interaction.ChannelID
	data := r.Interaction.ApplicationCommandData()
	if channelID == "" || data.TargetID == "" {
		return nil, notHere
	}
	s, err := b.store.SessionByChannel(ctx, channelID)
	if circles.ErrorCode(err) == circles.ENotFound || (err == nil && s.GuildID != r.GuildID) {
		return nil, notHere
	}
	if err != nil {
		return nil, err
	}
	if r.Member.Permissions&discordgo.PermissionViewChannel == 0 {
		return nil, lerr(circles.EForbidden, "flag.cant_see")
	}
	c, err := b.store.Circle(ctx, r.GuildID, s.CircleID)
	if err != nil {
		return nil, err
	}
	link := fmt.Sprintf("https://discord.com/channels/%s/%s/%s", r.GuildID, channelID, data.TargetID)
	args := i18n.Args{"Circle": c.EscapedName(), "Link": link}
	told := 0
	for _, f := range c.Facilitators {
		if f == r.UserID {
			continue
		}
		if b.dmIn(r.GuildID, f, func(l i18n.Locale) *discordgo.MessageSend {
			return &discordgo.MessageSend{Content: l.T("flag.dm", args)}
		}) == nil {
			told++
		}
	}
	b.log.Info("message flagged to facilitators", "guild", r.GuildID, "circle", c.ID, "session", s.ID, "told", told)
	if told == 0 {
		if c.IsFacilitator(r.UserID) && len(c.Facilitators) == 1 {
			return &Response{Content: r.T("flag.only_facilitator", args)}, nil
		}
		return &Response{Content: r.T("flag.unreachable", args)}, nil
	}
	return &Response{Content: r.T("flag.told")}, nil
}
