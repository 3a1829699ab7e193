package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
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
// after they are sent; a crash in that instant can repeat one of them, and
// nothing else.
//
// Nothing written by members is ever read or stored. The one read of a
// channel's messages is the crash recovery in OpenSession, which looks only
// at the bot's own messages, and happens while the channel is still locked
// so that nobody else can have written in it yet.

// Recognisable beginnings of the bot's own session messages, so that an
// interrupted open can tell which of them it already posted.
const (
	guidelinesTitle = "📜 Guidelines v"
	welcomePrefix   = "👋 Welcome"
	promptPrefix    = "💬 **Prompt "
	gatePrefix      = "🕊️ **A facilitator may not be here today.**"
	joinedPrefix    = "🕊️ **A facilitator has joined"
)

// maxMentions is Discord's limit on users in allowed_mentions.
const maxMentions = 100

// errNoCategory: /setup has not chosen a category for session channels.
var errNoCategory = errors.New("no category for session channels is configured; run /setup")

// OpenSession opens a session's channel (DESIGN.md, "Channel model"). In
// order, each step recorded on the session row before the next:
//
//  1. find the channel — by the stored ID, else by the session's marker in
//     the topics of the guild's channels — or create it in the configured
//     category, read-only for everyone but the bot, and store its ID;
//  2. post the guidelines and pin them (GuidelinesMessageID, and
//     GuidelinesVersion: the version the session holds consent to);
//  3. DM members whose consent is stale a re-consent button, once per
//     session (ReconsentAsked, recorded right after sending: a crash in
//     between may send them once more), and post a welcome that mentions
//     exactly the attendees: the people let in, less those who RSVP'd skip
//     (they are let in all the same) (WelcomePosted);
//  4. post the first prompt, if any (PromptsPosted = 1);
//  5. if the facilitator-presence gate applies and no facilitator said
//     they are going: post a gentle notice (GateMessageID) and DM the
//     facilitators, with an "I'm here" button (FacilitatorAlerted);
//  6. mark the session opened (OpenedAt) and unlock the channel for the
//     people consent lets in.
//
// With PostponeWithoutFacilitator, step 5's condition instead postpones the
// session before any channel exists: it is marked skipped, members and
// facilitators are told by DM, and the next occurrence is planned.
func (b *Bot) OpenSession(ctx context.Context, c circles.Circle, s circles.Session) (circles.Session, error) {
	lock := b.sessionLock(s.ID)
	lock.Lock()
	defer lock.Unlock()

	s, err := b.store.Session(ctx, s.ID) // the row is the truth, not the caller's copy
	if err != nil {
		return s, err
	}
	log := b.log.With("guild", c.GuildID, "circle", c.ID, "session", s.ID)
	g, err := b.settings(ctx, c.GuildID)
	if err != nil {
		return s, err
	}
	grant, stale, err := b.access(ctx, c, s)
	if err != nil {
		return s, err
	}
	rsvps, err := b.store.RSVPs(ctx, s.ID)
	if err != nil {
		return s, err
	}
	gate := gateApplies(c, s, rsvps)

	// 1. The channel.
	ch, err := b.findSessionChannel(ctx, c, s)
	if err != nil {
		return s, err
	}
	created := false
	if ch == nil {
		if gate && c.PostponeWithoutFacilitator {
			return s, b.postpone(ctx, c, s)
		}
		if g.CategoryID == "" {
			log.Error("can't open a session: no category for session channels; an admin must run /setup")
			return s, errNoCategory
		}
		ch, err = b.dg.GuildChannelCreateComplex(c.GuildID, discordgo.GuildChannelCreateData{
			Name:     circles.ChannelName(c.Name, s.Start, c.Location()),
			Type:     discordgo.ChannelTypeGuildText,
			Topic:    sessionTopic(c, s),
			ParentID: g.CategoryID,
			// Read-only until the guidelines and welcome are up.
			PermissionOverwrites: overwritesFor(c.GuildID, b.botUserID, grant, true),
		}, discordgo.WithContext(ctx))
		if err != nil {
			return s, fmt.Errorf("creating the session channel in category %s: %w", g.CategoryID, err)
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
				cur.GuidelinesMessageID, cur.WelcomePosted, cur.PromptsPosted, cur.FacilitatorAlerted = "", false, 0, false
				cur.GateMessageID = ""
				cur.OpenedAt = time.Time{}
			}
			if cur.GuidelinesVersion == 0 {
				// Set again to the version pinned in step 2.
				cur.GuidelinesVersion = c.Guidelines.Version
			}
			return nil
		})
		if err != nil {
			return s, err
		}
	}
	if !created && s.OpenedAt.IsZero() {
		if s, err = b.recoverOpening(ctx, s); err != nil {
			return s, err
		}
	}

	// 2. Guidelines, pinned.
	if s.GuidelinesMessageID == "" {
		m, err := b.post(ctx, s.ChannelID, &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{guidelinesEmbed(c)}})
		if err != nil {
			return s, fmt.Errorf("posting the guidelines: %w", err)
		}
		if s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.GuidelinesMessageID = m.ID
			cur.GuidelinesVersion = c.Guidelines.Version
			return nil
		}); err != nil {
			return s, err
		}
		if err := b.dg.ChannelMessagePin(s.ChannelID, m.ID, discordgo.WithContext(ctx)); err != nil {
			return s, fmt.Errorf("pinning the guidelines: %w", err)
		}
	} else if !created {
		// A retry may follow a crash between posting and pinning; pinning
		// a pinned message changes nothing.
		if err := b.dg.ChannelMessagePin(s.ChannelID, s.GuidelinesMessageID, discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
			return s, fmt.Errorf("pinning the guidelines: %w", err)
		}
	}

	// 3. Re-consent requests and the welcome.
	if !s.WelcomePosted {
		if !s.ReconsentAsked && len(stale) > 0 {
			for _, u := range stale {
				b.sendReconsent(c, u, fmt.Sprintf("🌱 A session of **%s** has just started. Its guidelines have changed since you agreed to them, so you can't see the session channel yet. Please read version %d below — when you agree, you're let in straight away.", c.Name, c.Guidelines.Version))
			}
			if s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
				cur.ReconsentAsked = true
				return nil
			}); err != nil {
				return s, err
			}
		}
		content, mention := welcomeMessage(c, s, grant, rsvps, b.botUserID)
		if _, err := b.post(ctx, s.ChannelID, &discordgo.MessageSend{Content: content}, mention...); err != nil {
			return s, fmt.Errorf("posting the welcome: %w", err)
		}
		if s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.WelcomePosted = true
			return nil
		}); err != nil {
			return s, err
		}
	}

	// 4. The first prompt.
	if len(c.Prompts) > 0 && s.PromptsPosted == 0 {
		if _, err := b.post(ctx, s.ChannelID, &discordgo.MessageSend{Content: promptMessage(c, 0)}); err != nil {
			return s, fmt.Errorf("posting the first prompt: %w", err)
		}
		if s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.PromptsPosted = max(cur.PromptsPosted, 1)
			return nil
		}); err != nil {
			return s, err
		}
	}

	// 5. The facilitator-presence gate. The notice goes first and is
	// recorded (the alert's button edits it); a crash before the alert is
	// recorded repeats the alert rather than lose it.
	if gate && !s.FacilitatorAlerted {
		if s.GateMessageID == "" {
			m, err := b.post(ctx, s.ChannelID, &discordgo.MessageSend{Content: gateNotice()})
			if err != nil {
				return s, fmt.Errorf("posting the facilitator notice: %w", err)
			}
			if s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
				cur.GateMessageID = m.ID
				return nil
			}); err != nil {
				return s, err
			}
		}
		b.alertFacilitators(c, s)
		if s, err = b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			cur.FacilitatorAlerted = true
			return nil
		}); err != nil {
			return s, err
		}
		log.Info("session opened without a facilitator; facilitators alerted")
	}

	// 6. Opened: let people in.
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
	if grant, _, err = b.access(ctx, c, s); err != nil {
		return s, err
	}
	// ch holds the overwrites as created or as found.
	if err := b.syncOverwrites(ctx, c, s, ch.PermissionOverwrites, overwritesFor(c.GuildID, b.botUserID, grant, false)); err != nil {
		return s, err
	}
	log.Info("session opened", "channel", s.ChannelID, "people", len(grant), "stale_consent", len(stale))
	return s, nil
}

// sessionTopic is the channel topic; the marker lets an interrupted open
// find its channel again.
func sessionTopic(c circles.Circle, s circles.Session) string {
	return fmt.Sprintf("Private session of %s · peer support, not therapy · %s", c.Name, s.Marker())
}

// findSessionChannel returns the session's channel if it exists: the
// stored one, or one whose topic carries the session's marker (created by
// an open that crashed before storing its ID). nil when there is none.
func (b *Bot) findSessionChannel(ctx context.Context, c circles.Circle, s circles.Session) (*discordgo.Channel, error) {
	if s.ChannelID != "" {
		ch, err := b.dg.Channel(s.ChannelID, discordgo.WithContext(ctx))
		if err == nil {
			return ch, nil
		}
		if !isUnknown(err) {
			return nil, fmt.Errorf("reading the session channel %s: %w", s.ChannelID, err)
		}
		b.log.Warn("session channel was deleted before the open finished; making a new one", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", s.ChannelID)
	}
	chans, err := b.dg.GuildChannels(c.GuildID, discordgo.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("listing the server's channels: %w", err)
	}
	for _, ch := range chans {
		if ch.Type == discordgo.ChannelTypeGuildText && circles.SessionIDFromTopic(ch.Topic) == s.ID {
			b.log.Info("found the session channel by its marker", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", ch.ID)
			return ch, nil
		}
	}
	return nil, nil
}

// recoverOpening finds which of the opening messages an interrupted open
// already posted but did not record, from the bot's own messages in the
// channel (still locked, so there are no others), and records them. Of
// the gate notice only the message is recorded: whether the facilitators
// were alerted after it was posted is not known, so they are alerted (again).
func (b *Bot) recoverOpening(ctx context.Context, s circles.Session) (circles.Session, error) {
	if s.GuidelinesMessageID != "" && s.WelcomePosted && s.PromptsPosted > 0 && (s.FacilitatorAlerted || s.GateMessageID != "") {
		return s, nil
	}
	msgs, err := b.dg.ChannelMessages(s.ChannelID, 100, "", "", "", discordgo.WithContext(ctx))
	if err != nil {
		return s, fmt.Errorf("reading the bot's opening messages: %w", err)
	}
	var guidelines, gate string
	var version int
	var welcome, prompt bool
	for _, m := range msgs {
		if m.Author == nil || m.Author.ID != b.botUserID {
			continue
		}
		switch {
		case len(m.Embeds) > 0 && strings.HasPrefix(m.Embeds[0].Title, guidelinesTitle):
			guidelines = m.ID
			fmt.Sscanf(strings.TrimPrefix(m.Embeds[0].Title, guidelinesTitle), "%d", &version)
		case strings.HasPrefix(m.Content, welcomePrefix):
			welcome = true
		case strings.HasPrefix(m.Content, promptPrefix):
			prompt = true
		case strings.HasPrefix(m.Content, gatePrefix):
			gate = m.ID
		}
	}
	if (guidelines == "" || s.GuidelinesMessageID != "") && !welcome && !prompt && (gate == "" || s.GateMessageID != "") {
		return s, nil
	}
	b.log.Info("resuming an interrupted open", "guild", s.GuildID, "circle", s.CircleID, "session", s.ID,
		"guidelines", guidelines != "", "welcome", welcome, "prompt", prompt, "notice", gate != "")
	return b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
		if cur.GuidelinesMessageID == "" {
			cur.GuidelinesMessageID = guidelines
			if version > 0 {
				cur.GuidelinesVersion = version // the version pinned
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

// gateApplies reports whether the facilitator-presence gate stops this
// session: the circle has it on, the session is a regular occurrence (an
// ad-hoc /circle open was started by a facilitator), and no facilitator is
// present — RSVP'd going, ran /circle open, or pressed "I'm here".
func gateApplies(c circles.Circle, s circles.Session, rsvps []circles.RSVP) bool {
	return c.FacilitatorGate && !adHoc(c, s) && !circles.FacilitatorPresent(c, rsvps)
}

// adHoc reports whether a session is not one of the circle's scheduled
// occurrences (a facilitator's /circle open).
func adHoc(c circles.Circle, s circles.Session) bool {
	o, err := schedule.Next(c.Schedule, s.Start.Add(-time.Second))
	return err != nil || !o.Start.Equal(s.Start)
}

// postpone marks a session skipped because no facilitator is coming, tells
// members and facilitators, and returns schedule.ErrPostponed so the
// scheduler records it as skipped and plans the next occurrence.
func (b *Bot) postpone(ctx context.Context, c circles.Circle, s circles.Session) error {
	members, err := b.store.Memberships(ctx, c.ID)
	if err != nil {
		return err
	}
	// Tell first, then record: after a crash in between people may hear it
	// twice, but never not at all.
	msg := fmt.Sprintf("🗓️ Today's session of **%s** (%s) is postponed: no facilitator is able to be there, and this circle only meets with one. Sorry for the change — the next session is planned as usual; see /mycircles in the server.\nIf you need support right now, /helpnow lists crisis resources.", c.Name, ShortTimestamp(s.Start))
	told := map[string]bool{}
	for _, m := range members {
		if m.Status == circles.StatusActive && !told[m.UserID] {
			told[m.UserID] = true
			_ = b.dm(m.UserID, &discordgo.MessageSend{Content: msg})
		}
	}
	b.tellFacilitators(c, fmt.Sprintf("🗓️ The session of **%s** at %s was postponed because no facilitator RSVP'd going, and the circle is set to postpone in that case. I told its %d member%s by DM.", c.Name, ShortTimestamp(s.Start), len(told), plural(len(told))))
	b.log.Info("session postponed: no facilitator going", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "members_told", len(told))
	// The scheduler records the session as skipped and plans the next.
	return schedule.ErrPostponed
}

// PostPrompt posts c.Prompts[index]. An index out of range (the prompts
// were edited meanwhile) is skipped quietly. Access that may be out of
// date is the scheduler's to re-sync (SyncAccess), not a prompt's.
func (b *Bot) PostPrompt(ctx context.Context, c circles.Circle, s circles.Session, index int) error {
	if index < 0 || index >= len(c.Prompts) {
		b.log.Debug("prompt no longer exists; skipped", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "index", index)
		return nil
	}
	return b.postInSession(ctx, c, s, "prompt", promptMessage(c, index))
}

// WarnEnding says how many minutes the session has left: five, unless it
// opened late or the bot was down (rounded down, at least one). Whether
// enough is left to warn at all is the scheduler's one rule
// (schedule.MinWarningLeft).
func (b *Bot) WarnEnding(ctx context.Context, c circles.Circle, s circles.Session) error {
	left := max(int(s.End.Sub(b.clock.Now())/time.Minute), 1)
	minutes := fmt.Sprintf("%d minutes", left)
	if left == 1 {
		minutes = "1 minute"
	}
	return b.postInSession(ctx, c, s, "warning", fmt.Sprintf(
		"⏳ **%s left.** It's a good moment to start wrapping up — a last word, or a thank-you.", minutes))
}

// postInSession posts one of the bot's messages into a session channel. A
// channel deleted by hand has nobody to read it: that is not a failure.
func (b *Bot) postInSession(ctx context.Context, c circles.Circle, s circles.Session, what, content string) error {
	if s.ChannelID == "" {
		return nil
	}
	if _, err := b.post(ctx, s.ChannelID, &discordgo.MessageSend{Content: content}); err != nil {
		if isUnknown(err) {
			b.log.Warn("session channel is gone; nothing posted", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "what", what)
			return nil
		}
		return fmt.Errorf("posting the %s: %w", what, err)
	}
	return nil
}

// CloseSession locks the channel (nobody but the bot can send) and posts a
// closing note naming the next session and when the channel goes. The
// scheduler stored ClosedAt before calling it, so access refreshes from
// then on keep the channel locked.
func (b *Bot) CloseSession(ctx context.Context, c circles.Circle, s circles.Session, next *circles.Session) error {
	lock := b.sessionLock(s.ID)
	lock.Lock()
	defer lock.Unlock()

	s, err := b.store.Session(ctx, s.ID) // the row is the truth, not the caller's copy
	if err != nil {
		return err
	}
	if s.ChannelID == "" {
		return nil
	}
	g, err := b.settings(ctx, c.GuildID)
	if err != nil {
		return err
	}
	ch, err := b.dg.Channel(s.ChannelID, discordgo.WithContext(ctx))
	if err != nil {
		if isUnknown(err) {
			b.log.Warn("session channel was deleted before the close", "guild", c.GuildID, "circle", c.ID, "session", s.ID)
			return nil
		}
		return fmt.Errorf("reading the session channel: %w", err)
	}
	grant, _, err := b.access(ctx, c, s)
	if err != nil {
		return err
	}
	if err := b.syncOverwrites(ctx, c, s, ch.PermissionOverwrites, overwritesFor(c.GuildID, b.botUserID, grant, true)); err != nil {
		return err
	}
	var sb strings.Builder
	sb.WriteString("🔒 **This session has ended.** Thank you all for being here and for looking after each other.\n")
	switch {
	case c.Archived:
		fmt.Fprintf(&sb, "**%s** has been archived, so this was its last session.\n", c.Name)
	case next != nil && !next.Start.IsZero():
		fmt.Fprintf(&sb, "The next session of **%s** is %s.\n", c.Name, Timestamp(next.Start))
	default:
		fmt.Fprintf(&sb, "No next session of **%s** is planned yet.\n", c.Name)
	}
	// The scheduler records the same time (from s.ClosedAt, which it set).
	deleteAt := schedule.DeleteTime(g, s)
	switch {
	case g.Retention() <= 0:
		sb.WriteString("This channel is deleted now that the session has ended.")
	case deleteAt.After(b.clock.Now()):
		fmt.Fprintf(&sb, "This channel is now read-only and will be deleted %s, %d hours after the session ended.", Timestamp(deleteAt), g.RetentionHours)
	default:
		fmt.Fprintf(&sb, "This channel is deleted in a moment: the server keeps session channels for %d hours after a session ends, and this one ended longer ago than that.", g.RetentionHours)
	}
	sb.WriteString(" circlebot keeps nothing that was written here.")
	if err := b.postInSession(ctx, c, s, "closing note", sb.String()); err != nil {
		return err
	}
	b.log.Info("session closed", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", s.ChannelID)
	return nil
}

// DeleteChannel deletes the session's channel; one already gone is fine.
func (b *Bot) DeleteChannel(ctx context.Context, c circles.Circle, s circles.Session) error {
	if s.ChannelID == "" {
		return nil
	}
	if _, err := b.dg.ChannelDelete(s.ChannelID, discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
		return fmt.Errorf("deleting the session channel %s: %w", s.ChannelID, err)
	}
	b.log.Info("session channel deleted after retention", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", s.ChannelID)
	return nil
}

// SendReminders DMs, at the guild's lead time, each active member who has
// reminders on and hasn't RSVP'd skip (members whose consent is stale get
// the re-consent request instead), and each facilitator who hasn't
// answered (unless, also a member, they turned reminders off), with
// going/skip buttons. A DM that fails (closed DMs) is logged and not
// retried: the step succeeds regardless. If the server has no category for
// session channels, or it is gone or out of reach, the facilitators are
// warned now, while there is time to fix it.
func (b *Bot) SendReminders(ctx context.Context, c circles.Circle, s circles.Session) error {
	members, err := b.store.Memberships(ctx, c.ID)
	if err != nil {
		return err
	}
	rsvps, err := b.store.RSVPs(ctx, s.ID)
	if err != nil {
		return err
	}
	answer := map[string]circles.RSVPStatus{}
	for _, r := range rsvps {
		answer[r.UserID] = r.Status
	}
	sent, failed := 0, 0
	count := func(err error) {
		if err != nil {
			failed++
		} else {
			sent++
		}
	}
	people, facilitators := remindees(c, members, answer)
	for _, m := range people {
		if !m.HasCurrentConsent(c.Guidelines.Version) {
			count(b.sendReconsent(c, m.UserID, fmt.Sprintf("⏰ **%s** meets %s. Its guidelines have changed since you agreed to them; please read version %d below and agree, so you can join the session.", c.Name, Timestamp(s.Start), c.Guidelines.Version)))
			continue
		}
		count(b.dm(m.UserID, reminderMessage(c, s, m.UserID, false)))
	}
	for _, f := range facilitators {
		count(b.dm(f, reminderMessage(c, s, f, true)))
	}
	b.warnIfCantOpen(ctx, c, s)
	b.log.Info("reminders sent", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "sent", sent, "failed", failed)
	return nil
}

// remindees are who a session's reminder goes to, given the answers so
// far: the active members with reminders on who haven't said skip, and the
// facilitators who haven't answered — less those who are members too and
// turned reminders off.
func remindees(c circles.Circle, members []circles.Membership, answer map[string]circles.RSVPStatus) (people []circles.Membership, facilitators []string) {
	done := map[string]bool{}
	for _, m := range members {
		if !m.Reminders {
			done[m.UserID] = true // facilitators too
		}
	}
	for _, m := range members {
		if m.Status != circles.StatusActive || done[m.UserID] || answer[m.UserID] == circles.RSVPSkip || c.IsFacilitator(m.UserID) {
			continue
		}
		done[m.UserID] = true
		people = append(people, m)
	}
	for _, f := range c.Facilitators {
		if answer[f] != "" || done[f] {
			continue
		}
		done[f] = true
		facilitators = append(facilitators, f)
	}
	return people, facilitators
}

// warnIfCantOpen warns the facilitators, once per session, when the session
// can't open as things stand: no category for session channels, or one
// that is gone or out of the bot's reach. Other errors (Discord down) say
// nothing about the category and are only logged.
func (b *Bot) warnIfCantOpen(ctx context.Context, c circles.Circle, s circles.Session) {
	g, err := b.settings(ctx, c.GuildID)
	if err != nil {
		return
	}
	p := problemNoCategory
	if g.CategoryID != "" {
		_, err = b.dg.Channel(g.CategoryID, discordgo.WithContext(ctx))
		if p = diagnose(err); p == problemChannelGone {
			p = problemCategoryGone
		}
		if err != nil && p == noProblem {
			b.log.Warn("could not check the session category", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "err", err)
		}
	}
	if p == noProblem || !b.firstTelling(s.ID, p) {
		return
	}
	b.log.Warn("the session can't open as things stand", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "err", err)
	b.tellFacilitators(c, fmt.Sprintf("⚠️ The session of **%s** at %s can't open as things stand: %s", c.Name, ShortTimestamp(s.Start), p.advice("", g.CategoryID)))
}

func reminderMessage(c circles.Circle, s circles.Session, userID string, facilitator bool) *discordgo.MessageSend {
	text := fmt.Sprintf("⏰ **%s** meets %s, for %d minutes. Will you be there? Either way is fine — you can always just listen.\nReminders can be turned off in /mycircles.", c.Name, Timestamp(s.Start), int(s.End.Sub(s.Start).Minutes()))
	if facilitator {
		text = fmt.Sprintf("⏰ **%s**, which you facilitate, meets %s. Please let me know whether you'll be there — if no facilitator is going, members are told when the session opens.", c.Name, Timestamp(s.Start))
	}
	id := CustomID{Action: "rsvp", GuildID: c.GuildID, CircleID: c.ID, SessionID: s.ID, UserID: userID}
	going, skip := id, id
	going.Arg, skip.Arg = string(circles.RSVPGoing), string(circles.RSVPSkip)
	return &discordgo.MessageSend{
		Content: text,
		Components: []discordgo.MessageComponent{Row(
			Button("Going", discordgo.SuccessButton, going),
			Button("Skip this one", discordgo.SecondaryButton, skip),
		)},
	}
}

// sendReconsent DMs a member the circle's current guidelines with an
// "I agree" button (handled by reconsentButton).
func (b *Bot) sendReconsent(c circles.Circle, userID, lead string) error {
	return b.dm(userID, reconsentMessage(c, userID, lead))
}

func reconsentMessage(c circles.Circle, userID, lead string) *discordgo.MessageSend {
	id := CustomID{Action: "reconsent", GuildID: c.GuildID, CircleID: c.ID, Version: c.Guidelines.Version, UserID: userID}
	return &discordgo.MessageSend{
		Content: lead + "\nIf you'd rather not, you can /leave the circle in the server at any time.",
		Embeds:  []*discordgo.MessageEmbed{guidelinesEmbed(c)},
		Components: []discordgo.MessageComponent{Row(
			Button(fmt.Sprintf("I agree to version %d", c.Guidelines.Version), discordgo.SuccessButton, id),
		)},
	}
}

// NotifyShift tells the facilitators that daylight saving time moved a
// coming session (s.Shift says how).
func (b *Bot) NotifyShift(ctx context.Context, c circles.Circle, s circles.Session) error {
	b.tellFacilitators(c, fmt.Sprintf("🕰️ A daylight saving time change moves a session of **%s**: %s\nIt starts %s. Members see the new time in their reminders and /mycircles.", c.Name, s.Shift, Timestamp(s.Start)))
	return nil
}

// MissedSession tells the facilitators a session didn't open in time, and
// why: the problem behind cause (the open's last error), or that the bot
// was offline. A channel an open created but never recorded (it crashed
// in between, and the bot stayed down past the grace window) is found by
// its marker and deleted: it was never unlocked, and nothing else would
// ever remove it.
func (b *Bot) MissedSession(ctx context.Context, c circles.Circle, s circles.Session, cause error) error {
	ch, err := b.findSessionChannel(ctx, c, s)
	if err != nil {
		return err
	}
	if ch != nil {
		if _, err := b.dg.ChannelDelete(ch.ID, discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
			return fmt.Errorf("deleting the channel of a missed session: %w", err)
		}
		b.log.Info("deleted the unfinished channel of a missed session", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", ch.ID)
	}
	g, err := b.settings(ctx, c.GuildID)
	if err != nil {
		return err
	}
	reason := "circlebot was offline at the time."
	switch p := diagnose(cause); {
	case g.CategoryID == "":
		reason = problemNoCategory.advice("", "")
	case p != noProblem:
		reason = "I couldn't create its channel: " + p.advice("", g.CategoryID)
	case cause != nil:
		reason = "I couldn't create its channel. " + unknownProblemAdvice
	}
	b.tellFacilitators(c, fmt.Sprintf("⚠️ The session of **%s** planned for %s didn't open, so it's marked as missed rather than opened late. The next session is planned as usual.\nWhy: %s", c.Name, ShortTimestamp(s.Start), reason))
	b.log.Warn("session missed", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "start", s.Start, "cause", cause)
	return nil
}

// StepStuck tells the facilitators that a step of a session keeps failing,
// what is wrong and how to fix it. A problem they were already told about
// for this session (by the reminder's check of the category) is not told
// again.
func (b *Bot) StepStuck(ctx context.Context, c circles.Circle, s circles.Session, step schedule.Step, err error) error {
	g, gerr := b.settings(ctx, c.GuildID)
	if gerr != nil {
		return gerr
	}
	p := diagnose(err)
	if p != noProblem && !b.firstTelling(s.ID, p) {
		return nil
	}
	advice := p.advice(s.ChannelID, g.CategoryID)
	if p == noProblem {
		advice = unknownProblemAdvice
	}
	what, ok := stepWords[step]
	if !ok {
		what = "look after"
	}
	b.tellFacilitators(c, fmt.Sprintf("⚠️ I can't %s the session of **%s** (%s): %s\nI'll keep trying, less and less often, until it works.", what, c.Name, ShortTimestamp(s.Start), advice))
	return nil
}

// ForgetSession drops the problems the facilitators were told about for a
// session that is finished or gone (schedule.Actions), so that the record
// firstTelling keeps does not grow for as long as the process runs.
func (b *Bot) ForgetSession(id int64) {
	b.problemsTold.Range(func(k, _ any) bool {
		if k.(problemKey).session == id {
			b.problemsTold.Delete(k)
		}
		return true
	})
}

// forgetGuildSessions has the scheduler and the bot forget what they keep
// in memory about a guild's unfinished sessions, just before the guild's
// data is purged (sessions that finished were forgotten then). A failure
// to list them is logged: at worst a few small entries stay until the
// process restarts.
func (b *Bot) forgetGuildSessions(ctx context.Context, guildID string) {
	ss, err := b.store.Sessions(ctx, circles.SessionFilter{GuildID: guildID, States: []circles.SessionState{circles.SessionPlanned, circles.SessionOpen, circles.SessionClosed}})
	if err != nil {
		b.log.Warn("listing a purged server's sessions to forget", "guild", guildID, "err", err)
		return
	}
	ids := make([]int64, len(ss))
	for i, x := range ss {
		ids[i] = x.ID
	}
	b.sched.Forget(ids...)
}

// SessionMoved tells the people who expect a session that a schedule
// change dropped it, and when the next one is: whoever answered for it
// (still a member or facilitator) and, if reminders went out, everyone
// reminded — the active members with reminders on and the facilitators.
func (b *Bot) SessionMoved(ctx context.Context, c circles.Circle, old circles.Session, next *circles.Session) error {
	members, err := b.store.Memberships(ctx, c.ID)
	if err != nil {
		return err
	}
	rsvps, err := b.store.RSVPs(ctx, old.ID)
	if err != nil {
		return err
	}
	var tell []string
	if old.RemindersSent {
		people, facilitators := remindees(c, members, nil)
		tell = facilitators
		for _, m := range people {
			tell = append(tell, m.UserID)
		}
	}
	for _, r := range rsvps {
		active := slices.ContainsFunc(members, func(m circles.Membership) bool {
			return m.UserID == r.UserID && m.Status == circles.StatusActive
		})
		if (active || c.IsFacilitator(r.UserID)) && !slices.Contains(tell, r.UserID) {
			tell = append(tell, r.UserID)
		}
	}
	when := "The next one will show in /mycircles."
	if next != nil {
		when = "The next one is " + Timestamp(next.Start) + "."
	}
	text := fmt.Sprintf("🗓️ The session of **%s** on %s isn't happening at that time: its schedule has changed. %s If you told me whether you'd come, please answer again for the new time in /mycircles.", c.Name, ShortTimestamp(old.Start), when)
	for _, u := range tell {
		_ = b.dm(u, &discordgo.MessageSend{Content: text})
	}
	b.log.Info("told of a moved session", "guild", c.GuildID, "circle", c.ID, "session", old.ID, "told", len(tell))
	return nil
}

// alertFacilitators DMs every facilitator that a session opened without a
// facilitator going, with an "I'm here" button (presentButton). The
// button names only the session: the notice it updates is the one stored
// on the session (GateMessageID), never a message the button could name.
func (b *Bot) alertFacilitators(c circles.Circle, s circles.Session) {
	for _, f := range c.Facilitators {
		id := CustomID{Action: "present", GuildID: c.GuildID, CircleID: c.ID, SessionID: s.ID, UserID: f}
		_ = b.dm(f, &discordgo.MessageSend{
			Content: fmt.Sprintf("⚠️ The session of **%s** has opened in <#%s>, and no facilitator said they're going. Members see a note asking them to be gentle with each other. If you can, please drop in — and press **I'm here** so they know.", c.Name, s.ChannelID),
			Components: []discordgo.MessageComponent{Row(
				Button("I'm here", discordgo.SuccessButton, id),
			)},
		})
	}
}

// tellFacilitators DMs every facilitator of a circle; failures are logged
// by dm and don't stop the others.
func (b *Bot) tellFacilitators(c circles.Circle, content string) {
	for _, f := range c.Facilitators {
		_ = b.dm(f, &discordgo.MessageSend{Content: content})
	}
}

// post sends one of the bot's messages to a session channel, pinging only
// the users listed (the welcome's attendees), never roles or @everyone.
func (b *Bot) post(ctx context.Context, channelID string, msg *discordgo.MessageSend, mention ...string) (*discordgo.Message, error) {
	msg.AllowedMentions = noMentions(mention...)
	return b.dg.ChannelMessageSendComplex(channelID, msg, discordgo.WithContext(ctx))
}

func guidelinesEmbed(c circles.Circle) *discordgo.MessageEmbed {
	return &discordgo.MessageEmbed{
		Title:       truncate(fmt.Sprintf("%s%d · %s", guidelinesTitle, c.Guidelines.Version, c.Name), 256),
		Description: c.Guidelines.Text,
		Color:       0x5b8def,
		Footer:      &discordgo.MessageEmbedFooter{Text: "Everyone here agreed to these guidelines. circlebot never stores what is written in a session."},
	}
}

// welcomeMessage greets the attendees — the people let in, less those who
// RSVP'd skip — mentioning exactly them.
func welcomeMessage(c circles.Circle, s circles.Session, grant []circles.Access, rsvps []circles.RSVP, botID string) (string, []string) {
	skip := map[string]bool{}
	for _, r := range rsvps {
		if r.Status == circles.RSVPSkip {
			skip[r.UserID] = true
		}
	}
	var mention []string
	for _, a := range grant {
		if a.UserID != botID && !skip[a.UserID] && len(mention) < maxMentions {
			mention = append(mention, a.UserID)
		}
	}
	var sb strings.Builder
	sb.WriteString(welcomePrefix)
	if len(mention) > 0 {
		sb.WriteString(",")
		for _, u := range mention {
			sb.WriteString(" <@" + u + ">")
		}
	}
	fmt.Fprintf(&sb, "!\nThis is a private session of **%s**, until <t:%d:t>. A few things to keep in mind:\n", c.Name, s.End.Unix())
	sb.WriteString("• This is peer support, not therapy or medical care.\n")
	sb.WriteString("• You may just listen — sharing is always optional.\n")
	sb.WriteString("• What's shared here stays here.\n")
	sb.WriteString("• If you are in crisis, use **/helpnow** for crisis resources, or call your local emergency number.\n")
	sb.WriteString("The guidelines are pinned in this channel. To let the facilitators know about a message privately, use *Apps → Flag to facilitators* on it.")
	return sb.String(), mention
}

func promptMessage(c circles.Circle, index int) string {
	return fmt.Sprintf("%s%d of %d**\n> %s", promptPrefix, index+1, len(c.Prompts), c.Prompts[index])
}

func gateNotice() string {
	return gatePrefix + " Please be gentle with each other, share only what feels right, and take care of yourselves. If you need support right now, **/helpnow** lists crisis resources."
}

// joinedNotice replaces the gate notice once a facilitator is present.
func joinedNotice(userID string) string {
	return joinedPrefix + ":** <@" + userID + "> is here. Please keep being gentle with each other and share only what feels right. If you need support right now, **/helpnow** lists crisis resources."
}
