package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
	"github.com/circlebot/circlebot/schedule"
)

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
	args := i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(s.Start)}
	told := map[string]bool{}
	for _, m := range members {
		if m.Status == circles.StatusActive && !told[m.UserID] {
			told[m.UserID] = true
			_ = b.dmIn(c.GuildID, m.UserID, func(l i18n.Locale) *discordgo.MessageSend {
				return &discordgo.MessageSend{Content: l.T("dm.postponed", args)}
			})
		}
	}
	b.tellFacilitatorsIn(c, func(l i18n.Locale) string {
		return l.T("dm.postponed_facilitators", args, i18n.Args{"Count": len(told)})
	})
	b.log.Info("session postponed: no facilitator going", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "members_told", len(told))
	// The scheduler records the session as skipped and plans the next.
	return schedule.ErrPostponed
}

// PostPrompt posts c.Prompts[index]. An index out of range (the prompts
// were edited meanwhile) is skipped quietly. Access that may be out of
// date is the scheduler's to re-sync (SyncAccess), not a prompt's.
func (b *Bot) PostPrompt(ctx context.Context, c circles.Circle, s circles.Session, index int) error {
	ctx = stepContext(ctx)
	if index < 0 || index >= len(c.Prompts) {
		b.log.Debug("prompt no longer exists; skipped", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "index", index)
		return nil
	}
	return b.postInSession(ctx, c, s, "prompt", nonceKey(s.ID, "prompt", index), promptMessage(b.circleLang(ctx, c.ID), c, index))
}

// WarnEnding says how many minutes the session has left: five, unless it
// opened late or the bot was down (rounded down, at least one). Whether
// enough is left to warn at all is the scheduler's one rule
// (schedule.MinWarningLeft).
func (b *Bot) WarnEnding(ctx context.Context, c circles.Circle, s circles.Session) error {
	ctx = stepContext(ctx)
	left := max(int(s.End.Sub(b.clock.Now())/time.Minute), 1)
	return b.postInSession(ctx, c, s, "warning", nonceKey(s.ID, "warning", 0), b.circleLang(ctx, c.ID).T("channel.warning", i18n.Args{"Count": left}))
}

// postInSession posts one of the bot's messages into a session channel,
// named by what as for post ("prompt"), with a nonce from key (nonceKey).
// A channel deleted by hand has nobody to read it: that is not a failure.
func (b *Bot) postInSession(ctx context.Context, c circles.Circle, s circles.Session, what, key, content string) error {
	if s.ChannelID == "" {
		return nil
	}
	if _, err := b.post(ctx, s.ChannelID, what, key, &discordgo.MessageSend{Content: content}); err != nil {
		if isUnknown(err) {
			b.log.Warn("session channel is gone; nothing posted", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "what", what)
			return nil
		}
		return err
	}
	return nil
}

// CloseSession locks the channel (nobody but the bot can send) and posts a
// closing note naming the next session and when the channel goes — unless
// the session never opened (it got stuck opening), when nobody was there
// to read one. The scheduler stored ClosedAt before calling it, so access
// refreshes from then on keep the channel locked.
func (b *Bot) CloseSession(ctx context.Context, c circles.Circle, s circles.Session, next *circles.Session) error {
	ctx = stepContext(ctx)
	s, unlock, err := b.lockSession(ctx, s.ID)
	if err != nil {
		return err
	}
	defer unlock()
	b.cardChanged(c.GuildID, c.ID) // its next session is another now
	if s.ChannelID == "" {
		return nil
	}
	b.endRoundIn(s.ChannelID)
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
		return refused(fmt.Errorf("reading the session channel: %w", err), doingReadChannel, s.ChannelID, permView, 0)
	}
	grant, _, err := b.access(ctx, c, s)
	if err != nil {
		return err
	}
	if err := b.syncOverwrites(ctx, c, s, ch.PermissionOverwrites, overwritesFor(c.GuildID, b.botUserID, grant, modeOf(s))); err != nil {
		return err
	}
	if s.OpenedAt.IsZero() {
		b.log.Info("closed a session that never opened", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", s.ChannelID)
		return nil
	}
	lang := b.circleLang(ctx, c.ID)
	name := i18n.Args{"Circle": c.EscapedName()}
	var sb strings.Builder
	sb.WriteString(lang.T("channel.closed") + "\n")
	switch {
	case c.Archived:
		sb.WriteString(lang.T("channel.closed_archived", name) + "\n")
	case next != nil && !next.Start.IsZero():
		sb.WriteString(lang.T("channel.closed_next", name, i18n.Args{"Next": Timestamp(next.Start)}) + "\n")
	default:
		sb.WriteString(lang.T("channel.closed_no_next", name) + "\n")
	}
	// The scheduler records the same time (from s.ClosedAt, which it set).
	deleteAt := schedule.DeleteTime(g, s)
	switch {
	case g.Retention() <= 0:
		sb.WriteString(lang.T("channel.deleted_now"))
	case deleteAt.After(b.clock.Now()):
		sb.WriteString(lang.T("channel.deleted_at", i18n.Args{"When": Timestamp(deleteAt), "Count": g.RetentionHours}))
	default:
		sb.WriteString(lang.T("channel.deleted_soon", i18n.Args{"Count": g.RetentionHours}))
	}
	sb.WriteString(" " + lang.T("channel.keeps_nothing"))
	if err := b.postInSession(ctx, c, s, "closing_note", nonceKey(s.ID, "closing", 0), sb.String()); err != nil {
		return err
	}
	b.log.Info("session closed", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", s.ChannelID)
	return nil
}

// DeleteChannel deletes the session's channel; one already gone is fine.
func (b *Bot) DeleteChannel(ctx context.Context, c circles.Circle, s circles.Session) error {
	ctx = stepContext(ctx)
	if s.ChannelID == "" {
		return nil
	}
	if _, err := b.dg.ChannelDelete(s.ChannelID, discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
		return refused(fmt.Errorf("deleting the session channel %s: %w", s.ChannelID, err), doingDeleteChannel, s.ChannelID, permView|permManageChannels, 0)
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
	ctx = stepContext(ctx)
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
			count(b.sendReconsent(c, m.UserID, func(l i18n.Locale) string {
				return l.T("dm.reminder_reconsent", i18n.Args{"Circle": c.EscapedName(), "When": Timestamp(s.Start), "Version": c.Guidelines.Version})
			}))
			continue
		}
		count(b.dmIn(c.GuildID, m.UserID, func(l i18n.Locale) *discordgo.MessageSend { return reminderMessage(l, c, s, m.UserID, false) }))
	}
	for _, f := range facilitators {
		count(b.dmIn(c.GuildID, f, func(l i18n.Locale) *discordgo.MessageSend { return reminderMessage(l, c, s, f, true) }))
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
	tell := func(p problem, perms int64, advice adviceText) {
		ok, more := b.alert(c, s.ID, p, perms, false)
		b.log.Warn("the session can't open as things stand", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "problem", int(p), "missing", perms, "told", ok)
		if ok {
			b.tellFacilitatorsIn(c, func(l i18n.Locale) string {
				return l.T("problems.cant_open", i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(s.Start), "Advice": advice(l)}) + againNote(l, more)
			})
		}
	}
	if g.CategoryID == "" {
		tell(problemNoCategory, 0, problemNoCategory.advice("", ""))
		return
	}
	chk, err := CheckPermissions(ctx, b.dg, b.botUserID, c.GuildID, g.CategoryID)
	if err != nil {
		b.log.Warn("could not check the session category", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "err", err)
		return
	}
	if chk.CategoryMissing {
		tell(problemCategoryGone, 0, problemCategoryGone.advice("", g.CategoryID))
		return
	}
	// Optional permissions don't stop a session: they are told about
	// when it opens without them.
	if m := chk.missing(false); m.bits != 0 {
		tell(problemPermissions, m.bits, func(l i18n.Locale) string {
			return m.describe(l, inServerOrCategory(g.CategoryID))
		})
	}
	b.warnIfCategoryFilling(ctx, c.GuildID, g.CategoryID)
}

// warnIfCategoryFilling tells the admins, at most once a day, when the
// session category holds 80% of the channels Discord allows in one.
func (b *Bot) warnIfCategoryFilling(ctx context.Context, guildID, categoryID string) {
	chans, err := b.dg.GuildChannels(guildID, discordgo.WithContext(ctx))
	if err != nil {
		b.log.Warn("could not count the session category's channels", "guild", guildID, "err", err)
		return
	}
	f := familyOf(chans, categoryID)
	if f.base != nil && f.children[f.base.ID] >= categoryWarnAt && f.withRoom() == f.base {
		b.tellAdminsCategory(ctx, guildID, categoryID, f.children[f.base.ID], nil)
	}
}

func reminderMessage(lang i18n.Locale, c circles.Circle, s circles.Session, userID string, facilitator bool) *discordgo.MessageSend {
	args := i18n.Args{"Circle": c.EscapedName(), "When": Timestamp(s.Start), "Minutes": int(s.End.Sub(s.Start).Minutes())}
	text := lang.T("dm.reminder", args)
	if facilitator {
		text = lang.T("dm.reminder_facilitator", args)
	}
	id := CustomID{Action: "rsvp", GuildID: c.GuildID, CircleID: c.ID, SessionID: s.ID, UserID: userID}
	going, skip := id, id
	going.Arg, skip.Arg = string(circles.RSVPGoing), string(circles.RSVPSkip)
	return &discordgo.MessageSend{
		Content: text,
		Components: []discordgo.MessageComponent{Row(
			Button(lang.T("rsvp.going_button"), discordgo.SuccessButton, going),
			Button(lang.T("rsvp.skip_button"), discordgo.SecondaryButton, skip),
		)},
	}
}

// sendReconsent DMs a member the circle's current guidelines with an
// "I agree" button (handled by reconsentButton), in their language, lead
// first.
func (b *Bot) sendReconsent(c circles.Circle, userID string, lead func(i18n.Locale) string) error {
	return b.dmIn(c.GuildID, userID, func(l i18n.Locale) *discordgo.MessageSend { return reconsentMessage(l, c, userID, lead(l)) })
}

func reconsentMessage(lang i18n.Locale, c circles.Circle, userID, lead string) *discordgo.MessageSend {
	id := CustomID{Action: "reconsent", GuildID: c.GuildID, CircleID: c.ID, Version: c.Guidelines.Version, UserID: userID}
	return &discordgo.MessageSend{
		Content: lead + "\n" + lang.T("dm.reconsent_leave"),
		Embeds:  []*discordgo.MessageEmbed{guidelinesEmbed(lang, c)},
		Components: []discordgo.MessageComponent{Row(
			Button(lang.T("dm.reconsent_button", i18n.Args{"Version": c.Guidelines.Version}), discordgo.SuccessButton, id),
		)},
	}
}

// NotifyShift tells the facilitators that daylight saving time moved a
// coming session (s.Shift says how).
func (b *Bot) NotifyShift(ctx context.Context, c circles.Circle, s circles.Session) error {
	ctx = stepContext(ctx)
	b.tellFacilitatorsIn(c, func(l i18n.Locale) string {
		return l.T("dm.shift", i18n.Args{"Circle": c.EscapedName(), "Shift": shiftText(l, s.Shift), "When": Timestamp(s.Start)})
	})
	return nil
}

// MissedSession tells the facilitators a session didn't open in time, and
// why: the problem behind cause (the open's last error), or that the bot
// was offline. A channel an open created but never recorded (it crashed
// in between, and the bot stayed down past the grace window) is found by
// its marker and deleted: it was never unlocked, and nothing else would
// ever remove it.
func (b *Bot) MissedSession(ctx context.Context, c circles.Circle, s circles.Session, cause error) error {
	ctx = stepContext(ctx)
	g, err := b.settings(ctx, c.GuildID)
	if err != nil {
		return err
	}
	ch, err := b.findSessionChannel(ctx, c, s, g.CategoryID)
	if err != nil {
		return err
	}
	if ch != nil {
		if _, err := b.dg.ChannelDelete(ch.ID, discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
			return fmt.Errorf("deleting the channel of a missed session: %w", err)
		}
		b.log.Info("deleted the unfinished channel of a missed session", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "channel", ch.ID)
	}
	p, advice, perms := b.advise(ctx, c.GuildID, cause, "", g.CategoryID)
	reason := sayAdvice("problems.missed_offline", nil)
	switch {
	case g.CategoryID == "":
		reason = problemNoCategory.advice("", "")
	case p != noProblem:
		reason = func(l i18n.Locale) string { return l.T("problems.missed_refused", i18n.Args{"Advice": advice(l)}) }
	case cause != nil:
		reason = func(l i18n.Locale) string {
			return l.T("problems.missed_unknown", i18n.Args{"Advice": unknownProblemAdvice(l)})
		}
	}
	ok, more := b.alert(c, s.ID, p, perms, true)
	b.log.Warn("session missed", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "start", s.Start, "cause", cause, "told", ok)
	if ok {
		b.tellFacilitatorsIn(c, func(l i18n.Locale) string {
			return l.T("problems.missed", i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(s.Start), "Why": reason(l)}) + againNote(l, more)
		})
	}
	return nil
}

// StepStuck tells the facilitators that a step of a session keeps failing,
// what is wrong and how to fix it. A problem they were already told about
// for this session (by the reminder's check of the category) is not told
// again.
func (b *Bot) StepStuck(ctx context.Context, c circles.Circle, s circles.Session, step schedule.Step, err error) error {
	ctx = stepContext(ctx)
	g, gerr := b.settings(ctx, c.GuildID)
	if gerr != nil {
		return gerr
	}
	p, advice, perms := b.advise(ctx, c.GuildID, err, s.ChannelID, g.CategoryID)
	ok, more := b.alert(c, s.ID, p, perms, false)
	if !ok {
		return nil
	}
	if p == noProblem {
		advice = unknownProblemAdvice
	}
	key := stuckKey(stuckDoing(step, err))
	b.tellFacilitatorsIn(c, func(l i18n.Locale) string {
		var sb strings.Builder
		sb.WriteString(l.T(key, i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(s.Start), "Advice": advice(l)}))
		if step == schedule.StepFinishOpen {
			sb.WriteString("\n" + l.T("problems.stuck_finish_open_note"))
		}
		sb.WriteString("\n" + l.T("problems.stuck_retrying"))
		sb.WriteString(againNote(l, more))
		return sb.String()
	})
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
	ctx = stepContext(ctx)
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
	text := func(l i18n.Locale) *discordgo.MessageSend {
		when := l.T("dm.moved_next_unknown")
		if next != nil {
			when = l.T("dm.moved_next", i18n.Args{"When": Timestamp(next.Start)})
		}
		return &discordgo.MessageSend{Content: l.T("dm.moved", i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(old.Start), "Next": when})}
	}
	for _, u := range tell {
		_ = b.dmIn(c.GuildID, u, text)
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
		_ = b.dmIn(c.GuildID, f, func(l i18n.Locale) *discordgo.MessageSend {
			return &discordgo.MessageSend{
				Content: l.T("dm.gate_alert", i18n.Args{"Circle": c.EscapedName(), "Channel": "<#" + s.ChannelID + ">"}),
				Components: []discordgo.MessageComponent{Row(
					Button(l.T("dm.im_here_button"), discordgo.SuccessButton, id),
				)},
			}
		})
	}
}

func guidelinesEmbed(lang i18n.Locale, c circles.Circle) *discordgo.MessageEmbed {
	return &discordgo.MessageEmbed{
		Title:       truncate(lang.T("channel.guidelines_title", i18n.Args{"Version": c.Guidelines.Version, "Circle": c.EscapedName()}), 256),
		Description: circles.NeutralizeFormatting(c.Guidelines.Text),
		Color:       0x5b8def,
		Footer:      &discordgo.MessageEmbedFooter{Text: lang.T("channel.guidelines_footer")},
	}
}

// welcomeMessage greets the attendees — the people let in, less those who
// RSVP'd skip — mentioning exactly them.
func welcomeMessage(lang i18n.Locale, c circles.Circle, s circles.Session, grant []circles.Access, rsvps []circles.RSVP, botID string) (string, []string) {
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
	sb.WriteString(lang.T("channel.welcome"))
	if len(mention) > 0 {
		sb.WriteString(",")
		for _, u := range mention {
			sb.WriteString(" <@" + u + ">")
		}
	}
	sb.WriteString("!\n")
	sb.WriteString(lang.T("channel.welcome_body", i18n.Args{"Circle": c.EscapedName(), "End": fmt.Sprintf("<t:%d:t>", s.End.Unix()), "Flag": lang.T("menu.flag"), "WhoCanRead": whoCanReadNote(lang)}))
	return sb.String(), mention
}

// openingMessage is the message a session opens with, in one call: the
// welcome, mentioning the attendees, with the guidelines and the first
// prompt (prompt: it is there) as embeds — well within Discord's 6,000
// characters of embeds (guidelines ≤ 4,000, a prompt ≤ 500).
func (b *Bot) openingMessage(ctx context.Context, c circles.Circle, s circles.Session) (msg *discordgo.MessageSend, mention []string, prompt bool, err error) {
	grant, _, err := b.access(ctx, c, s)
	if err != nil {
		return nil, nil, false, err
	}
	rsvps, err := b.store.RSVPs(ctx, s.ID)
	if err != nil {
		return nil, nil, false, err
	}
	lang := b.circleLang(ctx, c.ID)
	content, mention := welcomeMessage(lang, c, s, grant, rsvps, b.botUserID)
	embeds := []*discordgo.MessageEmbed{guidelinesEmbed(lang, c)}
	if prompt = len(c.Prompts) > 0 && s.PromptsPosted == 0; prompt {
		embeds = append(embeds, &discordgo.MessageEmbed{
			Title:       lang.T("channel.prompt_title", i18n.Args{"Index": 1, "Count": len(c.Prompts)}),
			Description: circles.NeutralizeFormatting(c.Prompts[0]),
			Color:       0x9b8def,
		})
	}
	// A facilitator starts a round from the welcome (round.go).
	start := Row(Button(startRoundLabel(lang), discordgo.SecondaryButton, b.roundID(c.GuildID, c.ID, s.ID, 0, roundStart)))
	return &discordgo.MessageSend{Content: content, Embeds: embeds, Components: []discordgo.MessageComponent{start}}, mention, prompt, nil
}

func promptMessage(lang i18n.Locale, c circles.Circle, index int) string {
	return lang.T("channel.prompt", i18n.Args{"Index": index + 1, "Count": len(c.Prompts), "Prompt": circles.NeutralizeFormatting(c.Prompts[index])})
}

func gateNotice(lang i18n.Locale) string {
	return lang.T("channel.gate_title") + " " + lang.T("channel.gate_body")
}

// joinedNotice replaces the gate notice once a facilitator is present.
func joinedNotice(lang i18n.Locale, userID string) string {
	return lang.T("channel.joined", i18n.Args{"User": userID})
}
