package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
	"github.com/circlebot/circlebot/schedule"
)

// Session channel work the scheduler asks for (schedule.Actions).
//
// Every action is idempotent: the scheduler may call it again after a
// crash, a failed store write or a Discord error. OpenSession records each
// of its side effects on the session row the moment it happens, so a
// restart finishes an interrupted open without a second channel or a
// second copy of any message. The in-session steps (a prompt, the warning,
// the closing note) are single messages recorded by the scheduler right
// after they are sent; each carries a nonce Discord de-duplicates for a few
// minutes, so a retry after a lost answer doesn't post it twice, and a
// crash in that instant can repeat one of them at most, and nothing else.
//
// Nothing written by members is ever read or stored. The one read of a
// channel's messages is the crash recovery in OpenSession, which looks only
// for the bot's own opening messages (without the Message Content intent,
// Discord shows the bot no one else's words).

// An interrupted open tells which of its messages it already posted by
// their beginnings, in any language (textPrefixes): the guidelines embed's
// title (channel.guidelines_title), the welcome (channel.welcome), a
// prompt (channel.prompt; the first is an embed, channel.prompt_title) and
// the gate notice (channel.gate_title).

// maxMentions is Discord's limit on users in allowed_mentions.
const maxMentions = 100

// errNoCategory: /setup has not chosen a category for session channels.
var errNoCategory = errors.New("no category for session channels is configured; run /setup")

// createAttempts bounds how often an open tries to create its channel when
// Discord answers with a server error: channel creation is not repeatable
// blindly (the transport never retries it), so each new try first looks
// for the channel an earlier one may have made after all.
const createAttempts = 4

// OpenSession opens a session's channel (docs/ARCHITECTURE.md, "Sessions
// in detail"). In order, each step recorded on the session row before
// the next:
//
//  1. find the channel — by the stored ID; else, only if an earlier open
//     asked for one (ChannelRequested: its create's answer may have been
//     lost), by the session's marker in the category's topics — or create
//     it in the configured category, read-only for the people consent
//     admits, and store its ID;
//  2. post the opening message: the welcome, mentioning exactly the
//     attendees (the people let in, less those who RSVP'd skip — let in
//     all the same), with the guidelines and the first prompt as embeds
//     (GuidelinesMessageID, GuidelinesVersion: the version the session
//     holds consent to; WelcomePosted; PromptsPosted);
//  3. mark the session opened (OpenedAt) and let its people speak: from
//     here on the session is open, whatever follows;
//  4. finish the opening (finishOpening): pin the opening message, DM the
//     re-consent requests, and post the facilitator notice if no
//     facilitator is coming. If any of that fails, OpenSession returns a
//     *schedule.PartlyOpenError: the scheduler records the session open
//     and retries the rest aside (FinishOpening), never holding up access
//     or the prompts.
//
// A first open is four calls: create, post, let speak, pin.
//
// With PostponeWithoutFacilitator, the presence gate instead postpones the
// session before any channel exists: it is marked skipped, members and
// facilitators are told by DM, and the next occurrence is planned.
func (b *Bot) OpenSession(ctx context.Context, c circles.Circle, s circles.Session) (circles.Session, error) {
	ctx = stepContext(ctx)
	s, unlock, err := b.lockSession(ctx, s.ID)
	if err != nil {
		return s, err
	}
	defer unlock()
	log := b.log.With("guild", c.GuildID, "circle", c.ID, "session", s.ID)
	g, err := b.settings(ctx, c.GuildID)
	if err != nil {
		return s, err
	}

	// 1. The channel.
	ch, err := b.findSessionChannel(ctx, c, s, g.CategoryID)
	if err != nil {
		return s, err
	}
	created := false
	if ch == nil {
		rsvps, err := b.store.RSVPs(ctx, s.ID)
		if err != nil {
			return s, err
		}
		if gateApplies(c, s, rsvps) && c.PostponeWithoutFacilitator {
			return s, b.postpone(ctx, c, s)
		}
		if g.CategoryID == "" {
			log.Error("can't open a session: no category for session channels; an admin must run /setup")
			return s, errNoCategory
		}
		if !s.ChannelRequested {
			// From here on a channel may exist that the row doesn't name
			// (a create whose answer is lost): only then is it looked for.
			if s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
				cur.ChannelRequested = true
				return nil
			}); err != nil {
				return s, err
			}
		}
		grant, _, err := b.access(ctx, c, s)
		if err != nil {
			return s, err
		}
		if ch, err = b.createSessionChannel(ctx, c, s, g, grant); err != nil {
			if isClientError(err) {
				// Refused (a 4xx), and any earlier try's channel looked
				// for: none exists, so the session may be given up
				// (SkipSession).
				if out, uerr := b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
					cur.ChannelRequested = false
					return nil
				}); uerr == nil {
					s = out
				}
			}
			return s, err
		}
		created = true
		log.Info("session channel created", "channel", ch.ID)
	}
	if s.ChannelID != ch.ID {
		replaced := s.ChannelID != ""
		s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.ChannelID = ch.ID
			if replaced {
				// The old channel was deleted by hand before the open
				// finished: everything starts again in the new one.
				cur.GuidelinesMessageID, cur.GuidelinesPinned, cur.WelcomePosted, cur.PromptsPosted, cur.FacilitatorAlerted = "", false, false, 0, false
				cur.GateMessageID = ""
				cur.OpenedAt = time.Time{}
			}
			if cur.GuidelinesVersion == 0 {
				// Set again to the version posted in step 2.
				cur.GuidelinesVersion = c.Guidelines.Version
			}
			return nil
		})
		if err != nil {
			return s, err
		}
	}
	if !created {
		if s, err = b.recoverOpening(ctx, s); err != nil {
			return s, err
		}
	}

	// 2. The opening message: the welcome, the guidelines and the first
	// prompt, in one.
	if s.GuidelinesMessageID == "" {
		msg, mention, prompt, err := b.openingMessage(ctx, c, s)
		if err != nil {
			return s, err
		}
		m, err := b.post(ctx, s.ChannelID, "guidelines", nonceKey(s.ID, "opening", c.Guidelines.Version), msg, mention...)
		if err != nil {
			return s, err
		}
		if s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.GuidelinesMessageID = m.ID
			cur.GuidelinesVersion = c.Guidelines.Version
			cur.WelcomePosted = true
			if prompt {
				cur.PromptsPosted = max(cur.PromptsPosted, 1)
			}
			return nil
		}); err != nil {
			return s, err
		}
	}

	// 3. Opened: let people in.
	if s.OpenedAt.IsZero() {
		if s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			if cur.OpenedAt.IsZero() {
				cur.OpenedAt = b.clock.Now()
			}
			return nil
		}); err != nil {
			return s, err
		}
	}
	// Consent read now, after OpenedAt is stored: a consent given while
	// this ran is either seen here or applied by the refresh that waits
	// for this session's lock.
	grant, _, err := b.access(ctx, c, s)
	if err != nil {
		return s, err
	}
	// ch holds the overwrites as created or as found.
	if err := b.syncOverwrites(ctx, c, s, ch.PermissionOverwrites, overwritesFor(c.GuildID, b.botUserID, grant, modeOpen)); err != nil {
		return s, err
	}
	log.Info("session opened", "channel", s.ChannelID, "people", len(grant))
	// The channel was made without the optional permissions the bot
	// lacked; its own overwrite there says which.
	if lacking := RequiredPermissions &^ heldIn(ch.PermissionOverwrites, b.botUserID); lacking != 0 {
		b.tellLacking(ctx, c, s, lacking)
	}

	b.cardChanged(c.GuildID, c.ID) // cards say it is in session
	// 4. The rest of the opening.
	if s, err = b.finishOpening(ctx, c, s); err != nil {
		log.Warn("session open, but part of its opening failed; retrying it aside", "err", err)
		return s, &schedule.PartlyOpenError{Err: err}
	}
	return s, nil
}

// FinishOpening does what OpenSession left of the opening of an open
// session (schedule.Actions): OpeningPending sessions only.
func (b *Bot) FinishOpening(ctx context.Context, c circles.Circle, s circles.Session) error {
	ctx = stepContext(ctx)
	s, unlock, err := b.lockSession(ctx, s.ID)
	if circles.ErrorCode(err) == circles.ENotFound {
		return nil
	}
	if err != nil {
		return err
	}
	defer unlock()
	if s.State != circles.SessionOpen || !s.ClosedAt.IsZero() || s.ChannelID == "" {
		return nil // over: there is nobody left to welcome
	}
	if s, err = b.recoverOpening(ctx, s); err != nil {
		return err
	}
	_, err = b.finishOpening(ctx, c, s)
	return err
}

// finishOpening pins the guidelines, DMs the re-consent requests, posts
// the welcome and, when the presence gate applies, the notice and the
// facilitators' alert — each recorded on the row, each tried even if
// another failed, so that a refused pin never costs the welcome. It
// returns the failures joined.
func (b *Bot) finishOpening(ctx context.Context, c circles.Circle, s circles.Session) (circles.Session, error) {
	grant, stale, err := b.access(ctx, c, s)
	if err != nil {
		return s, err
	}
	rsvps, err := b.store.RSVPs(ctx, s.ID)
	if err != nil {
		return s, err
	}
	var errs []error
	record := func(fn func(cur *circles.Session)) {
		out, err := b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			fn(cur)
			return nil
		})
		if err != nil {
			errs = append(errs, err)
			return
		}
		s = out
	}

	// The pin. A guidelines message deleted by hand is gone for good: it
	// is not posted again into a conversation under way.
	if !s.GuidelinesPinned && s.GuidelinesMessageID != "" {
		err := b.pin(ctx, s.ChannelID, s.GuidelinesMessageID)
		switch {
		case err == nil:
			record(func(cur *circles.Session) { cur.GuidelinesPinned = true })
		case isUnknown(err):
			b.log.Warn("the guidelines message is gone; not pinned", "guild", c.GuildID, "circle", c.ID, "session", s.ID)
			record(func(cur *circles.Session) { cur.GuidelinesPinned = true })
		default:
			errs = append(errs, err)
		}
	}

	// Re-consent requests, once per session (recorded right after
	// sending: a crash in between may send them once more).
	if !s.ReconsentAsked && len(stale) > 0 {
		for _, u := range stale {
			_ = b.sendReconsent(c, u, func(l i18n.Locale) string {
				return l.T("dm.reconsent_opened", i18n.Args{"Circle": c.EscapedName(), "Version": c.Guidelines.Version})
			})
		}
		record(func(cur *circles.Session) { cur.ReconsentAsked = true })
	}

	// The welcome, mentioning exactly the attendees.
	if !s.WelcomePosted {
		content, mention := welcomeMessage(b.circleLang(ctx, c.ID), c, s, grant, rsvps, b.botUserID)
		if _, err := b.post(ctx, s.ChannelID, "welcome", nonceKey(s.ID, "welcome", 0), &discordgo.MessageSend{Content: content}, mention...); err != nil {
			errs = append(errs, err)
		} else {
			record(func(cur *circles.Session) { cur.WelcomePosted = true })
		}
	}

	// The facilitator-presence gate, after the welcome it follows. The
	// notice goes first and is recorded (the alert's button edits it); a
	// crash before the alert is recorded repeats the alert rather than
	// lose it.
	if gateApplies(c, s, rsvps) && !s.FacilitatorAlerted && s.WelcomePosted {
		if s.GateMessageID == "" {
			m, err := b.post(ctx, s.ChannelID, "gate_notice", nonceKey(s.ID, "gate", 0), &discordgo.MessageSend{Content: gateNotice(b.circleLang(ctx, c.ID))})
			if err != nil {
				errs = append(errs, err)
			} else {
				record(func(cur *circles.Session) { cur.GateMessageID = m.ID })
			}
		}
		if s.GateMessageID != "" {
			b.alertFacilitators(c, s)
			record(func(cur *circles.Session) { cur.FacilitatorAlerted = true })
			b.log.Info("session opened without a facilitator; facilitators alerted", "guild", c.GuildID, "circle", c.ID, "session", s.ID)
		}
	}
	return s, errors.Join(errs...)
}

// createSessionChannel creates the session's channel in the category,
// read-only for the people consent admits until the guidelines are up. Discord refuses
// a channel whose overwrites name a permission the bot lacks in the
// server; if what it lacks is optional (optionalPermissions), the channel
// is made without those (heldIn reads which from it later). A server
// error is tried again a few times, each time first looking for a channel an
// earlier try may have made after all (by its marker).
func (b *Bot) createSessionChannel(ctx context.Context, c circles.Circle, s circles.Session, g circles.GuildSettings, grant []circles.Access) (*discordgo.Channel, error) {
	held, parent := RequiredPermissions, g.CategoryID
	var lastErr error
	for attempt := range createAttempts {
		if isServerError(lastErr) {
			if err := sleepCtx(ctx, time.Duration(attempt)*100*time.Millisecond); err != nil {
				return nil, errors.Join(lastErr, err)
			}
			// A create whose answer was lost may have made the channel.
			found, err := b.findSessionChannel(ctx, c, s, g.CategoryID)
			if err != nil {
				return nil, errors.Join(lastErr, err)
			}
			if found != nil {
				return found, nil
			}
		}
		ows := maskOverwrites(overwritesFor(c.GuildID, b.botUserID, grant, modeOpening), held)
		ch, err := b.dg.GuildChannelCreateComplex(c.GuildID, discordgo.GuildChannelCreateData{
			Name:                 circles.ChannelName(c.Name, s.Start, c.Location()),
			Type:                 discordgo.ChannelTypeGuildText,
			Topic:                sessionTopic(b.circleLang(ctx, c.ID), c, s),
			ParentID:             parent,
			PermissionOverwrites: ows,
		}, discordgo.WithContext(ctx))
		if err == nil {
			return ch, nil
		}
		lastErr = err
		switch {
		case isRefused(err):
			if fewer, ok := b.heldOptional(ctx, c.GuildID, held); ok && attempt < createAttempts-1 {
				held = fewer
				continue
			}
			return nil, &refusal{err: err, what: doingCreateChannel, channelID: parent, need: permView | permManageChannels, named: namedIn(ows) | permManageRoles, create: true}
		case diagnose(err) == problemCategoryFull && attempt < createAttempts-1:
			// Full: the next category of the family with room, made if need be.
			room, made, ferr := b.categoryWithRoom(ctx, c.GuildID, g.CategoryID)
			if ferr != nil {
				return nil, errors.Join(err, ferr)
			}
			if room == nil || room.ID == parent {
				return nil, err
			}
			if made {
				b.tellAdminsCategory(ctx, c.GuildID, g.CategoryID, maxPerCategory, room)
			}
			parent = room.ID
			continue
		case !isServerError(err):
			return nil, fmt.Errorf("creating the session channel in category %s: %w", parent, err)
		}
	}
	return nil, fmt.Errorf("creating the session channel in category %s: %w", parent, lastErr)
}

// heldOptional narrows held to the optional permissions the bot really
// holds in the server, after Discord refused overwrites naming them. ok is
// false when that changes nothing (the refusal is about something else) or
// the server can't be read.
func (b *Bot) heldOptional(ctx context.Context, guildID string, held int64) (int64, bool) {
	a, err := readServerAccess(ctx, b.dg, guildID, b.botUserID)
	if err != nil {
		b.log.Warn("could not read circlebot's permissions after a refusal", "guild", guildID, "err", err)
		return held, false
	}
	fewer := held &^ (optionalPermissions &^ a.base())
	return fewer, fewer != held
}

// tellLacking tells the facilitators, once per session and permission,
// that a session opened without optional permissions the bot lacks.
func (b *Bot) tellLacking(ctx context.Context, c circles.Circle, s circles.Session, lacking int64) {
	ok, more := b.alert(c, s.ID, problemPermissions, lacking, false)
	b.log.Warn("session opened without optional permissions", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "lacking", lacking, "told", ok)
	if !ok {
		return
	}
	m, err := b.explainRefusal(ctx, c.GuildID, &refusal{channelID: s.ChannelID, named: lacking})
	if err != nil || m.bits == 0 {
		// The server can't be read just now, or holds everything by now:
		// nothing to say that would be true.
		return
	}
	b.tellFacilitatorsIn(c, func(l i18n.Locale) string {
		advice := m.describe(l, inServer())
		return l.T("problems.open_partly", i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(s.Start), "Channel": s.ChannelID, "Advice": advice}) + againNote(l, more)
	})
}

// namedIn is every permission the overwrites allow or deny.
func namedIn(ows []*discordgo.PermissionOverwrite) int64 {
	var bits int64
	for _, ow := range ows {
		bits |= ow.Allow | ow.Deny
	}
	return bits
}

// isClientError reports whether Discord answered err with a 4xx: it
// refused the call, which therefore did nothing.
func isClientError(err error) bool {
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Response != nil && rest.Response.StatusCode >= 400 && rest.Response.StatusCode < 500
}

// isServerError reports whether err is Discord failing (a 5xx) or the
// connection to it, as opposed to Discord refusing the call.
func isServerError(err error) bool {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) {
		return rest.Response != nil && rest.Response.StatusCode >= 500
	}
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sessionTopic is the channel topic; the marker lets an interrupted open
// find its channel again.
func sessionTopic(lang i18n.Locale, c circles.Circle, s circles.Session) string {
	return lang.T("channel.topic", i18n.Args{"Circle": c.EscapedName(), "Marker": s.Marker()})
}

// findSessionChannel returns the session's channel if it exists. The
// stored ID always wins: a session with one is never matched to another
// channel, whatever its topic says — if it is gone, there is none. Only a
// session without one (its create's answer was lost, or the bot died
// before storing it) is looked for, and only among the text channels of
// the session category (or its overflow categories) whose topic ends with
// its marker, which the bot alone writes (no circle name or topic may
// contain it). nil when there is none.
func (b *Bot) findSessionChannel(ctx context.Context, c circles.Circle, s circles.Session, categoryID string) (*discordgo.Channel, error) {
	if s.ChannelID != "" {
		ch, err := b.dg.Channel(s.ChannelID, discordgo.WithContext(ctx))
		if err == nil {
			return ch, nil
		}
		if !isUnknown(err) {
			return nil, refused(fmt.Errorf("reading the session channel %s: %w", s.ChannelID, err), doingReadChannel, s.ChannelID, permView, 0)
		}
		b.log.Warn("session channel was deleted before the open finished; making a new one", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", s.ChannelID)
		return nil, nil
	}
	if categoryID == "" || !s.ChannelRequested {
		return nil, nil // no open asked for a channel yet: there is none
	}
	chans, err := b.dg.GuildChannels(c.GuildID, discordgo.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("listing the server's channels: %w", err)
	}
	family := familyOf(chans, categoryID)
	for _, ch := range chans {
		if ch.Type == discordgo.ChannelTypeGuildText && family.has(ch.ParentID) && circles.SessionIDFromTopic(ch.Topic) == s.ID {
			b.log.Info("found the session channel by its marker", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", ch.ID)
			return ch, nil
		}
	}
	return nil, nil
}

// recoverOpening finds which of the opening messages an interrupted open
// already posted but did not record, from the bot's own messages in the
// channel, and records them. Of the gate notice only the message is
// recorded: whether the facilitators were alerted after it was posted is
// not known, so they are alerted (again). It reads the channel only when
// something is unrecorded.
func (b *Bot) recoverOpening(ctx context.Context, s circles.Session) (circles.Session, error) {
	if s.GuidelinesMessageID != "" && s.WelcomePosted && s.PromptsPosted > 0 && (s.FacilitatorAlerted || s.GateMessageID != "") {
		return s, nil
	}
	msgs, err := b.dg.ChannelMessages(s.ChannelID, 100, "", "", "", discordgo.WithContext(ctx))
	if err != nil {
		return s, refused(fmt.Errorf("reading the bot's opening messages: %w", err), doingReadOpening, s.ChannelID, permView|permReadHistory, 0)
	}
	var guidelines, gate string
	var version int
	var welcome, prompt bool
	for _, m := range msgs {
		if m.Author == nil || m.Author.ID != b.botUserID {
			continue
		}
		// The opening message carries the welcome, the guidelines and the
		// first prompt; an open from before it posted them apart.
		if len(m.Embeds) > 0 {
			if rest, ok := cutTextPrefix(m.Embeds[0].Title, "channel.guidelines_title"); ok {
				guidelines = m.ID
				fmt.Sscanf(rest, "%d", &version)
			}
		}
		for _, e := range m.Embeds {
			_, ok := cutTextPrefix(e.Title, "channel.prompt_title")
			prompt = prompt || ok
		}
		_, isWelcome := cutTextPrefix(m.Content, "channel.welcome")
		_, isPrompt := cutTextPrefix(m.Content, "channel.prompt")
		_, isGate := cutTextPrefix(m.Content, "channel.gate_title")
		switch {
		case isWelcome:
			welcome = true
		case isPrompt:
			prompt = true
		case isGate:
			gate = m.ID
		}
	}
	if (guidelines == "" || s.GuidelinesMessageID != "") && (!welcome || s.WelcomePosted) && (!prompt || s.PromptsPosted > 0) && (gate == "" || s.GateMessageID != "") {
		return s, nil
	}
	b.log.Info("resuming an interrupted open", "guild", s.GuildID, "circle", s.CircleID, "session", s.ID,
		"guidelines", guidelines != "", "welcome", welcome, "prompt", prompt, "notice", gate != "")
	return b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
		if cur.GuidelinesMessageID == "" {
			cur.GuidelinesMessageID = guidelines
			if version > 0 {
				cur.GuidelinesVersion = version // the version posted
			}
		}
		cur.WelcomePosted = cur.WelcomePosted || welcome
		if prompt {
			cur.PromptsPosted = max(cur.PromptsPosted, 1)
		}
		if cur.GateMessageID == "" {
			cur.GateMessageID = gate
		}
		return nil
	})
}
