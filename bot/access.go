package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// Channel permissions by role (docs/ARCHITECTURE.md, "The channel
// model"; permissions.go says why each is there). The bot names in its own overwrite everything
// it needs in the channel. It can't name Manage Roles: Discord lets only
// administrators set that in a channel's overwrites when creating it.
const (
	allowBot         = permView | permSend | permEmbedLinks | permManageChannels | permManageMessages | permReadHistory | permPin
	allowSpeaker     = permView | permSend | permReadHistory
	allowListener    = permView | permReadHistory
	allowFacilitator = permView | permSend | permManageMessages | permReadHistory | permPin
)

// maskOverwrites leaves out of the overwrites the optional permissions the
// bot does not hold (held), which Discord would refuse to let it name.
func maskOverwrites(ows []*discordgo.PermissionOverwrite, held int64) []*discordgo.PermissionOverwrite {
	drop := optionalPermissions &^ held
	if drop == 0 {
		return ows
	}
	out := make([]*discordgo.PermissionOverwrite, len(ows))
	for i, ow := range ows {
		c := *ow
		c.Allow &^= drop
		c.Deny &^= drop
		out[i] = &c
	}
	return out
}

// heldIn is what the bot could name when it made a channel: its own
// overwrite there holds every optional permission it held then.
func heldIn(have []*discordgo.PermissionOverwrite, botID string) int64 {
	for _, ow := range have {
		if ow.ID == botID && ow.Type == discordgo.PermissionOverwriteTypeMember {
			return RequiredPermissions &^ (optionalPermissions &^ ow.Allow)
		}
	}
	return RequiredPermissions
}

// channelMode is how far a session channel lets its people in.
type channelMode int

const (
	// modeOpening: the people consent admits see the channel, read-only,
	// until the opening message (the welcome and the guidelines) is up;
	// so they are pinged by the welcome, and nobody writes before it.
	modeOpening channelMode = iota
	// modeOpen: the people consent admits see it; those who may speak,
	// speak.
	modeOpen
	// modeClosed: they still see it, read-only, until it is deleted.
	modeClosed
)

// overwritesFor builds a session channel's permission overwrites from the
// access the domain derived from current consent. Nothing else grants
// access: @everyone is denied, and only the listed users are let in —
// read-only while the session is opening and once it is closed.
func overwritesFor(guildID, botID string, grant []circles.Access, mode channelMode) []*discordgo.PermissionOverwrite {
	out := []*discordgo.PermissionOverwrite{
		{ID: guildID, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionViewChannel},
		{ID: botID, Type: discordgo.PermissionOverwriteTypeMember, Allow: allowBot},
	}
	for _, a := range grant {
		if a.UserID == botID {
			continue
		}
		ow := &discordgo.PermissionOverwrite{ID: a.UserID, Type: discordgo.PermissionOverwriteTypeMember}
		switch a.Role {
		case circles.RoleFacilitator:
			ow.Allow = allowFacilitator
		case circles.RoleSpeaker:
			ow.Allow = allowSpeaker
		case circles.RoleListener:
			ow.Allow = allowListener
			ow.Deny = discordgo.PermissionSendMessages
		}
		if mode != modeOpen {
			ow.Allow &^= discordgo.PermissionSendMessages
			ow.Deny |= discordgo.PermissionSendMessages
		}
		out = append(out, ow)
	}
	return out
}

// modeOf says how far a session's channel lets its people in: read-only
// while it is being opened (until the opening message is posted — OpenedAt
// is set by OpenSession the moment it is), fully while it is open, and
// read-only once it is closing or closed (CloseSession sets ClosedAt before
// it locks). Deciding from these fields rather than State alone matters
// because the scheduler records the new State only after the side effect
// returns; a consent change in between must not undo it.
func modeOf(s circles.Session) channelMode {
	switch {
	case s.OpenedAt.IsZero():
		return modeOpening // never opened, closed or not
	case !s.ClosedAt.IsZero():
		return modeClosed
	case s.State == circles.SessionPlanned && s.OpenedAt.IsZero():
		return modeOpening
	case s.State == circles.SessionPlanned, s.State == circles.SessionOpen:
		return modeOpen
	}
	return modeClosed
}

// access derives who may be in session s's channel right now: consent to
// the guidelines s opened under, or later ones (circles.SessionAccess).
func (b *Bot) access(ctx context.Context, c circles.Circle, s circles.Session) (grant []circles.Access, stale []string, err error) {
	members, err := b.store.Memberships(ctx, c.ID)
	if err != nil {
		return nil, nil, err
	}
	grant, stale = circles.SessionAccess(c, s, members)
	return grant, stale, nil
}

// refreshAccess re-derives the overwrites of a circle's live session
// channels (being opened, open, or closed but not yet deleted) from current
// consent and applies the difference: a withdrawn consent or a removal
// takes access away at once, a new consent grants it at once. A guidelines
// change takes nobody out of a session under way (see access).
//
// A channel whose update fails (Discord down) is not left as it is: its
// session is marked for a re-sync (schedule.WakeSoon), which the scheduler
// does within a minute and retries until it succeeds, without holding up
// the session's steps. The error is still returned, for the caller to log
// or report.
func (b *Bot) refreshAccess(ctx context.Context, guildID string, circleID int64) error {
	c, err := b.store.Circle(ctx, guildID, circleID)
	if err != nil {
		return err
	}
	sessions, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: circleID, States: []circles.SessionState{circles.SessionPlanned, circles.SessionOpen, circles.SessionClosed}})
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range sessions {
		if s.ChannelID == "" {
			continue
		}
		errs = append(errs, b.syncOrRetry(ctx, c, s))
	}
	return errors.Join(errs...)
}

// syncOrRetry applies access to one session channel; if that fails, the
// scheduler is asked to try again soon. So it is when another process
// runs the server (a DM button, which reaches the process of shard 0,
// changed someone's consent there): that process's session lock, not this
// one's, keeps channel work on the session in order, so its scheduler
// syncs the channel again from the store.
func (b *Bot) syncOrRetry(ctx context.Context, c circles.Circle, s circles.Session) error {
	err := b.applyAccess(ctx, c, s)
	if err != nil || !b.owned.Owns(c.GuildID) {
		if werr := b.sched.WakeSoon(ctx, s.ID); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	return err
}

// SyncAccess makes a session channel's overwrites match current consent
// (schedule.Actions): the scheduler's retry after a failed refreshAccess.
func (b *Bot) SyncAccess(ctx context.Context, c circles.Circle, s circles.Session) error {
	ctx = stepContext(ctx)
	return b.applyAccess(ctx, c, s)
}

// applyAccess makes one session channel's member overwrites match current
// consent. It reads the channel's overwrites and only changes what differs,
// so repeating it is cheap and safe.
func (b *Bot) applyAccess(ctx context.Context, c circles.Circle, s circles.Session) error {
	s, unlock, err := b.lockSession(ctx, s.ID)
	if circles.ErrorCode(err) == circles.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	defer unlock()
	if s.ChannelID == "" || !s.Active() {
		return nil
	}
	grant, _, err := b.access(ctx, c, s)
	if err != nil {
		return err
	}
	want := overwritesFor(c.GuildID, b.botUserID, grant, modeOf(s))
	ch, err := b.dg.Channel(s.ChannelID, discordgo.WithContext(ctx))
	if err != nil {
		if isUnknown(err) {
			return nil // deleted by someone else; nothing to protect
		}
		return fmt.Errorf("reading channel %s: %w", s.ChannelID, err)
	}
	return b.syncOverwrites(ctx, c, s, ch.PermissionOverwrites, want)
}

// syncOverwrites changes a channel's overwrites from have to want, leaving
// out optional permissions the bot did not hold when it made the channel
// (heldIn) or, should Discord refuse them, does not hold now. One change
// is one PUT or DELETE; several (opening, closing) are one PATCH of the
// whole set, which keeps bulk work light on the rate limits.
func (b *Bot) syncOverwrites(ctx context.Context, c circles.Circle, s circles.Session, have, want []*discordgo.PermissionOverwrite) error {
	held := heldIn(have, b.botUserID)
	err := b.applyOverwrites(ctx, c, s, have, maskOverwrites(want, held))
	if isRefused(err) {
		if fewer, ok := b.heldOptional(ctx, c.GuildID, held); ok {
			err = b.applyOverwrites(ctx, c, s, have, maskOverwrites(want, fewer))
		}
	}
	if isRefused(err) {
		return refused(err, doingChangeAccess, s.ChannelID, permView|permManageChannels|permManageRoles, namedIn(want))
	}
	return err
}

// applyOverwrites makes the change syncOverwrites describes.
func (b *Bot) applyOverwrites(ctx context.Context, c circles.Circle, s circles.Session, have, want []*discordgo.PermissionOverwrite) error {
	cur := map[string]*discordgo.PermissionOverwrite{}
	for _, ow := range have {
		cur[ow.ID] = ow
	}
	wanted := map[string]bool{}
	var set []*discordgo.PermissionOverwrite
	for _, ow := range want {
		wanted[ow.ID] = true
		if h, ok := cur[ow.ID]; ok && h.Allow == ow.Allow && h.Deny == ow.Deny && h.Type == ow.Type {
			continue
		}
		set = append(set, ow)
	}
	var drop []string
	for id := range cur {
		// Anything not derived from consent goes, including overwrites
		// someone added by hand: consent is the only key.
		if !wanted[id] {
			drop = append(drop, id)
		}
	}
	switch {
	case len(set)+len(drop) == 0:
		return nil
	case len(set)+len(drop) > 1:
		if _, err := b.dg.ChannelEditComplex(s.ChannelID, &discordgo.ChannelEdit{PermissionOverwrites: want}, discordgo.WithContext(ctx)); err != nil {
			return fmt.Errorf("setting access on channel %s: %w", s.ChannelID, err)
		}
	case len(set) == 1:
		ow := set[0]
		if err := b.dg.ChannelPermissionSet(s.ChannelID, ow.ID, ow.Type, ow.Allow, ow.Deny, discordgo.WithContext(ctx)); err != nil {
			return fmt.Errorf("setting access on channel %s: %w", s.ChannelID, err)
		}
	default:
		if err := b.dg.ChannelPermissionDelete(s.ChannelID, drop[0], discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
			return fmt.Errorf("removing access on channel %s: %w", s.ChannelID, err)
		}
	}
	if len(drop) > 0 {
		b.log.Info("access removed", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "overwrites", len(drop))
	}
	if len(set) > 0 {
		b.log.Debug("access set", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "overwrites", len(set), "mode", int(modeOf(s)))
	}
	return nil
}

// afterLeave updates channels and tells promoted members after someone
// left, was removed, erased their data, or left the server.
func (b *Bot) afterLeave(ctx context.Context, res circles.LeaveResult) {
	circleID := res.Left.CircleID
	guildID := res.Left.GuildID
	if err := b.refreshAccess(ctx, guildID, circleID); err != nil {
		b.log.Error("updating channel access after leave", "guild", guildID, "circle", circleID, "err", err)
	}
	b.cardChanged(guildID, circleID)
	if len(res.Promoted) == 0 {
		return
	}
	c, err := b.store.Circle(ctx, guildID, circleID)
	if err != nil {
		b.log.Error("loading circle for promotion notice", "circle", circleID, "err", err)
		return
	}
	b.tellPromoted(c, res.Promoted)
}

// afterCircleUpdate follows every UpdateCircle: the people it promoted
// from the waitlist (a change that frees seats, such as a capacity raise)
// are told and let into the session channels, whose access is refreshed
// too when the caller changed it otherwise (facilitators).
func (b *Bot) afterCircleUpdate(ctx context.Context, c circles.Circle, promoted []circles.Membership, accessChanged bool) {
	if accessChanged || len(promoted) > 0 {
		if err := b.refreshAccess(ctx, c.GuildID, c.ID); err != nil {
			b.log.Error("updating channel access after a circle change", "guild", c.GuildID, "circle", c.ID, "err", err)
		}
	}
	b.tellPromoted(c, promoted)
	b.cardChanged(c.GuildID, c.ID)
}

// tellPromoted DMs the people a freed seat went to. Their channel access
// comes from the refreshAccess the caller does. Someone whose consent went
// stale while they waited (the guidelines changed) can't get in yet: they
// get the re-consent request instead, which lets them in when they agree.
func (b *Bot) tellPromoted(c circles.Circle, promoted []circles.Membership) {
	for _, m := range promoted {
		mode := "member"
		if m.Mode == circles.ModeListener {
			mode = "listener"
		}
		args := i18n.Args{"Circle": c.EscapedName(), "Version": c.Guidelines.Version}
		if !m.HasCurrentConsent(c.Guidelines.Version) {
			_ = b.sendReconsent(c, m.UserID, func(l i18n.Locale) string { return l.T("dm.promoted_reconsent_"+mode, args) })
			b.log.Info("promoted from waitlist; asked to consent to new guidelines", "guild", c.GuildID, "circle", c.ID)
			continue
		}
		_ = b.dmIn(c.GuildID, m.UserID, func(l i18n.Locale) *discordgo.MessageSend {
			return &discordgo.MessageSend{Content: l.T("dm.promoted_"+mode, args)}
		})
		b.log.Info("promoted from waitlist", "guild", c.GuildID, "circle", c.ID)
	}
}

// isUnknown reports whether a REST error says the thing is gone (404,
// Unknown Channel/Message/Overwrite).
func isUnknown(err error) bool {
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Response == nil {
		return false
	}
	if rest.Response.StatusCode == 404 {
		return true
	}
	if rest.Message != nil {
		switch rest.Message.Code {
		case discordgo.ErrCodeUnknownChannel, discordgo.ErrCodeUnknownMessage, discordgo.ErrCodeUnknownOverwrite:
			return true
		}
	}
	return false
}
