package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
	"github.com/circlebot/circlebot/schedule"
)

// circleSchedule: /circle schedule shows the schedule, or changes it when
// any schedule option is given.
func (b *Bot) circleSchedule(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	if !hasScheduleOptions(r) {
		e := b.scheduleEmbed(ctx, r.Lang, c, r.T("schedule.when_title", i18n.Args{"Circle": c.EscapedName()}))
		if err := b.addComing(ctx, r.Lang, c, e); err != nil {
			return nil, err
		}
		return &Response{Embeds: []*discordgo.MessageEmbed{e}}, nil
	}
	if c.Archived {
		return nil, lerr(circles.EConflict, "facilitator.archived_no_schedule", i18n.Args{"Circle": c.EscapedName()})
	}
	rule, err := ruleFromOptions(r, c.Schedule, false)
	if err != nil {
		return nil, err
	}
	if err := schedule.CheckFrequency(rule, b.opts.Defaults.frequency(), r.Now); err != nil {
		return nil, err
	}
	if err := schedule.ValidateRule(rule, r.Now); err != nil {
		return nil, err
	}
	rule = schedule.Anchored(rule, r.Now)
	if rule == c.Schedule {
		return &Response{Embeds: []*discordgo.MessageEmbed{b.scheduleEmbed(ctx, r.Lang, c, r.T("schedule.same_title", i18n.Args{"Circle": c.EscapedName()}))}}, nil
	}
	// Nothing is saved yet: the facilitator sees the first sessions under
	// the new rule, and any warning, and saves with a button.
	return b.proposeSchedule(c, rule, r)
}

// scheduleSaved does what follows a saved schedule change and says so.
func (b *Bot) scheduleSaved(ctx context.Context, r *Request, updated circles.Circle, promoted []circles.Membership) *Response {
	b.afterCircleUpdate(ctx, updated, promoted, false)
	b.log.Info("schedule changed", "guild", r.GuildID, "circle", updated.ID, "by", r.UserID)
	// Logged by the scheduler; planning is retried in the background.
	_ = b.sched.ScheduleChanged(ctx, updated)
	b.syncCircleEvents(ctx, updated.GuildID, updated.ID) // events move with their sessions
	e := b.scheduleEmbed(ctx, r.Lang, updated, r.T("schedule.saved_title", i18n.Args{"Circle": updated.EscapedName()}))
	e.Footer = &discordgo.MessageEmbedFooter{Text: r.T("schedule.saved_footer")}
	return &Response{Embeds: []*discordgo.MessageEmbed{e}}
}

func (b *Bot) scheduleEmbed(ctx context.Context, lang i18n.Locale, c circles.Circle, title string) *discordgo.MessageEmbed {
	next := b.upcomingText(ctx, lang, c)
	if c.Archived {
		next = lang.T("schedule.archived_none")
	}
	return &discordgo.MessageEmbed{
		Title: truncate(title, 256),
		Color: embedColor,
		Fields: []*discordgo.MessageEmbedField{
			{Name: lang.T("create.schedule_field"), Value: describeRule(lang, c.Schedule)},
			{Name: lang.T("schedule.next_sessions_field"), Value: next},
		},
	}
}

// circleSkip: /circle skip skips the next occurrence and tells members.
func (b *Bot) circleSkip(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	at, err := b.skipTarget(ctx, r, c)
	if err != nil {
		return nil, err
	}
	skipped, err := b.sched.SkipAt(ctx, r.GuildID, c.ID, at)
	if err != nil {
		return nil, err
	}
	b.log.Info("session skipped", "guild", r.GuildID, "circle", c.ID, "session", skipped.ID, "by", r.UserID)
	b.syncCircleEvents(ctx, r.GuildID, c.ID) // its event is cancelled
	b.cardChanged(c.GuildID, c.ID)
	occ, oerr := b.sched.Upcoming(ctx, c, 1)
	nextText := func(l i18n.Locale) string {
		if oerr == nil && len(occ) > 0 {
			return l.T("dm.moved_next", i18n.Args{"When": Timestamp(occ[0].Start)})
		}
		return l.T("dm.no_later_session")
	}
	args := i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(skipped.Start)}
	told := b.tellMembers(ctx, r.Lang, c, false, func(l i18n.Locale) string {
		return l.T("dm.skipped", args, i18n.Args{"Next": nextText(l)})
	})
	return &Response{Content: r.T("facilitator.skipped", args, i18n.Args{"Next": nextText(r.Lang)}) + "\n" + told}, nil
}

// circleOpen: /circle open opens a session now.
func (b *Bot) circleOpen(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	present := c.IsFacilitator(r.UserID) // an admin may open it without facilitating
	opener := ""
	if present {
		// Recorded as going before the open: the presence gate sees them.
		opener = r.UserID
	}
	s, err := b.sched.OpenNow(ctx, r.GuildID, c.ID, opener)
	if circles.ErrorCode(err) == circles.EConflict && present {
		// Already open: the facilitator has come to it.
		if open, oerr := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}}); oerr == nil && len(open) == 1 && open[0].ChannelID != "" && open[0].ClosedAt.IsZero() {
			if perr := b.markPresent(ctx, c, open[0], r.UserID); perr != nil {
				// Not the "already open" conflict: that is not what
				// went wrong. The router logs an internal error.
				return nil, fmt.Errorf("marking the facilitator present in session %d: %w", open[0].ID, perr)
			}
			return &Response{Content: r.T("facilitator.already_open", i18n.Args{"Circle": c.EscapedName(), "Channel": "<#" + open[0].ChannelID + ">"})}, nil
		}
	}
	if err != nil {
		if circles.ErrorCode(err) == circles.EInternal && s.ID != 0 {
			b.log.Error("opening a session now", "guild", r.GuildID, "circle", c.ID, "session", s.ID, "err", err)
			return b.openFailed(ctx, r.Lang, c, s, err)
		}
		return nil, err
	}
	b.log.Info("session opened by facilitator", "guild", r.GuildID, "circle", c.ID, "session", s.ID, "by", r.UserID)
	args := i18n.Args{"Circle": c.EscapedName(), "Channel": "<#" + s.ChannelID + ">", "End": ShortTimestamp(s.End)}
	if s.ChannelID != "" {
		return &Response{Content: r.T("facilitator.opened_in", args)}, nil
	}
	return &Response{Content: r.T("facilitator.opened", args)}, nil
}

// openFailed answers a /circle open whose open failed. A problem someone
// must fix first (permissions, a deleted or full category) is named; if no
// channel was made, the session is given up rather than retried in vain,
// so that nothing is left half-open. Anything else is retried in the
// background.
func (b *Bot) openFailed(ctx context.Context, lang i18n.Locale, c circles.Circle, s circles.Session, err error) (*Response, error) {
	if diagnose(err) == noProblem {
		return &Response{Content: lang.T("facilitator.open_retrying", i18n.Args{"Circle": c.EscapedName()})}, nil
	}
	category := ""
	if g, gerr := b.settings(ctx, c.GuildID); gerr == nil {
		category = g.CategoryID
	}
	_, advice, _ := b.advise(ctx, c.GuildID, err, s.ChannelID, category)
	if s.ChannelID == "" {
		_, serr := b.sched.SkipSession(ctx, s.ID)
		if serr == nil {
			return nil, lerr(circles.EConflict, "facilitator.open_failed", i18n.Args{"Circle": c.EscapedName(), "Advice": advice(lang)})
		}
		b.log.Error("giving up an ad-hoc open", "guild", c.GuildID, "circle", c.ID, "session", s.ID, "err", serr)
	}
	return &Response{Content: lang.T("facilitator.open_stuck", i18n.Args{"Circle": c.EscapedName(), "Advice": advice(lang)})}, nil
}

// circleClose: /circle close closes the open session now.
func (b *Bot) circleClose(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	s, err := b.sched.CloseNow(ctx, r.GuildID, c.ID)
	if err != nil {
		if circles.ErrorCode(err) == circles.EConflict {
			if open, oerr := b.openSession(ctx, c); oerr == nil && open == nil {
				return nil, b.nothingToClose(ctx, c)
			}
		}
		if circles.ErrorCode(err) == circles.EInternal && s.ID != 0 {
			b.log.Error("closing a session now", "guild", r.GuildID, "circle", c.ID, "session", s.ID, "err", err)
			return &Response{Content: r.T("facilitator.closing_retry", i18n.Args{"Circle": c.EscapedName()})}, nil
		}
		return nil, err
	}
	b.log.Info("session closed by facilitator", "guild", r.GuildID, "circle", c.ID, "session", s.ID, "by", r.UserID)
	msg := r.T("facilitator.closed", i18n.Args{"Circle": c.EscapedName()})
	channel := i18n.Args{"Channel": "<#" + s.ChannelID + ">", "When": fmt.Sprintf("<t:%d:R>", s.DeleteAt.Unix())}
	switch {
	case s.ChannelID == "":
	case s.State == circles.SessionDeleted:
		msg += " " + r.T("facilitator.closed_deleted")
	case !s.DeleteAt.IsZero():
		msg += " " + r.T("facilitator.closed_locked_until", channel)
	default:
		msg += " " + r.T("facilitator.closed_locked", channel)
	}
	return &Response{Content: msg}, nil
}

// nothingToClose says that no session is open, and what to do instead.
func (b *Bot) nothingToClose(ctx context.Context, c circles.Circle) error {
	if c.Archived {
		return lerr(circles.EConflict, "facilitator.close_archived", i18n.Args{"Circle": c.EscapedName()})
	}
	if occ, err := b.sched.Upcoming(ctx, c, 1); err == nil && len(occ) > 0 {
		return lerr(circles.EConflict, "facilitator.close_next", i18n.Args{"Circle": c.EscapedName(), "When": Timestamp(occ[0].Start)})
	}
	return lerr(circles.EConflict, "facilitator.close_none", i18n.Args{"Circle": c.EscapedName()})
}

// circleRoster: /circle roster, always ephemeral.
func (b *Bot) circleRoster(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	entries, err := b.store.Roster(ctx, r.GuildID, c.ID)
	if err != nil {
		return nil, err
	}
	var active, waitlist, removed []string
	speakers, listeners, unreachable := 0, 0, 0
	for _, e := range entries {
		dms := ""
		if !e.DMUnreachableAt.IsZero() && e.Status != circles.StatusRemoved {
			dms = unreachableNote(r.Lang, e.DMUnreachableAt)
			unreachable++
		}
		switch e.Status {
		case circles.StatusActive:
			consent := r.T("roster.consent_current")
			if !e.ConsentCurrent {
				consent = r.T("roster.needs_reconsent")
			}
			if e.Mode == circles.ModeListener {
				listeners++
			} else {
				speakers++
			}
			active = append(active, fmt.Sprintf("<@%s> · %s · %s%s", e.UserID, r.T("mode."+string(e.Mode)), consent, dms))
		case circles.StatusWaitlisted:
			waitlist = append(waitlist, fmt.Sprintf("%d. <@%s> · %s%s", e.Position, e.UserID, r.T("mode."+string(e.Mode)), dms))
		case circles.StatusRemoved:
			removed = append(removed, fmt.Sprintf("<@%s>", e.UserID))
		}
	}
	facs := make([]string, 0, len(c.Facilitators))
	for _, f := range c.Facilitators {
		facs = append(facs, "<@"+f+">")
	}
	e := &discordgo.MessageEmbed{
		Title: truncate(r.T("roster.title", i18n.Args{"Circle": c.EscapedName()}), 256),
		Description: r.T("roster.description", i18n.Args{"Facilitators": strings.Join(facs, ", "), "Speakers": speakers, "Capacity": c.Capacity,
			"Listeners": listeners, "ListenerSeats": c.ListenerSeats()}),
		Color: embedColor,
	}
	listFields(r.Lang, e, r.T("roster.members_field", i18n.Args{"Count": len(active)}), active, r.T("roster.nobody_joined"))
	listFields(r.Lang, e, r.T("roster.waitlist_field", i18n.Args{"Count": len(waitlist)}), waitlist, r.T("roster.nobody_waiting"))
	if len(removed) > 0 {
		listFields(r.Lang, e, r.T("roster.removed_field", i18n.Args{"Count": len(removed)}), removed, "")
	}
	if unreachable > 0 {
		e.Description += "\n" + unreachableSummary(r.Lang, unreachable)
	}
	if err := b.addComing(ctx, r.Lang, c, e); err != nil {
		return nil, err
	}
	return &Response{Embeds: []*discordgo.MessageEmbed{e}}, nil
}

// listFields adds lines as one or more embed fields, each within Discord's
// 1,024 characters.
func listFields(lang i18n.Locale, e *discordgo.MessageEmbed, title string, lines []string, empty string) {
	if len(lines) == 0 {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: title, Value: empty})
		return
	}
	var chunk strings.Builder
	name := title
	flush := func() {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: truncate(name, 256), Value: chunk.String()})
		chunk.Reset()
		name = lang.T("roster.continued", i18n.Args{"Field": title})
	}
	for _, l := range lines {
		if chunk.Len()+len(l)+1 > 1024 {
			flush()
		}
		if chunk.Len() > 0 {
			chunk.WriteByte('\n')
		}
		chunk.WriteString(l)
	}
	flush()
}

// circleRemove: /circle remove member: [lift:].
func (b *Bot) circleRemove(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	target := r.Snowflake("member")
	if target == "" {
		return nil, lerr(circles.EInvalid, "facilitator.choose_member")
	}
	if lift, _ := r.Bool("lift"); lift {
		if err := b.store.LiftRemoval(ctx, r.GuildID, c.ID, target, r.Now); err != nil {
			return nil, err
		}
		b.log.Info("removal lifted", "guild", r.GuildID, "circle", c.ID, "by", r.UserID)
		return &Response{Content: r.T("facilitator.lifted", i18n.Args{"User": target, "Circle": c.EscapedName()})}, nil
	}
	if c.IsFacilitator(target) {
		return nil, lerr(circles.EConflict, "facilitator.remove_facilitator_first", i18n.Args{"User": target, "Circle": c.EscapedName()})
	}
	res, err := b.store.Remove(ctx, r.GuildID, c.ID, target, r.UserID, r.Now)
	if err != nil {
		return nil, err
	}
	b.log.Info("member removed", "guild", r.GuildID, "circle", c.ID, "by", r.UserID)
	b.afterLeave(ctx, res)
	_ = b.dmIn(r.GuildID, target, func(l i18n.Locale) *discordgo.MessageSend {
		return &discordgo.MessageSend{Content: l.T("dm.removed", i18n.Args{"Circle": c.EscapedName()})}
	})
	msg := r.T("facilitator.removed", i18n.Args{"User": target, "Circle": c.EscapedName()})
	for _, p := range res.Promoted {
		msg += "\n" + r.T("facilitator.moved_up", i18n.Args{"User": p.UserID})
	}
	return &Response{Content: msg}, nil
}

// circleArchive: /circle archive asks for confirmation.
func (b *Bot) circleArchive(ctx context.Context, r *Request) (*Response, error) {
	c, _, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	if c.Archived {
		return nil, lerr(circles.EConflict, "facilitator.already_archived", i18n.Args{"Circle": c.EscapedName()})
	}
	id := CustomID{Action: "archive", GuildID: r.GuildID, CircleID: c.ID, UserID: r.UserID}
	confirm, cancel := id, id
	confirm.Arg, cancel.Arg = "confirm", "cancel"
	return &Response{
		Content: r.T("facilitator.archive_confirm", i18n.Args{"Circle": c.EscapedName()}),
		Components: []discordgo.MessageComponent{Row(
			Button(r.T("facilitator.archive_button", i18n.Args{"Circle": truncate(c.Name, 60)}), discordgo.DangerButton, confirm),
			Button(r.T("member.cancel_button"), discordgo.SecondaryButton, cancel),
		)},
	}, nil
}

// archiveButton handles the confirm and cancel buttons.
func (b *Bot) archiveButton(ctx context.Context, r *Request) (*Response, error) {
	if err := checkButtonOwner(r); err != nil {
		return nil, err
	}
	if r.CustomID.Arg == "cancel" {
		return &Response{Content: r.T("facilitator.not_archived"), Update: true, Components: []discordgo.MessageComponent{}}, nil
	}
	if r.CustomID.Arg != "confirm" {
		return nil, errBadCustomID
	}
	c, err := b.reauthoriseModal(ctx, r)
	if err != nil {
		return nil, err
	}
	updated, promoted, err := b.store.UpdateCircle(ctx, r.GuildID, c.ID, func(cur *circles.Circle) error {
		if cur.Archived {
			return lerr(circles.EConflict, "facilitator.already_archived", i18n.Args{"Circle": cur.EscapedName()})
		}
		cur.Archived = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.afterCircleUpdate(ctx, updated, promoted, false)
	b.log.Info("circle archived", "guild", r.GuildID, "circle", c.ID, "by", r.UserID)
	// The scheduler cancels planned sessions of an archived circle when it
	// next looks at them; make that now rather than at their start.
	planned, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned}})
	if err != nil {
		b.log.Error("listing planned sessions of an archived circle", "guild", r.GuildID, "circle", c.ID, "err", err)
	}
	for _, s := range planned {
		if _, err := b.store.UpdateSession(ctx, s.ID, func(cur *circles.Session) error {
			if cur.State == circles.SessionPlanned {
				cur.DueAt = r.Now.Truncate(time.Second)
			}
			return nil
		}); err != nil {
			b.log.Error("queueing the cancel of a planned session", "guild", r.GuildID, "circle", c.ID, "session", s.ID, "err", err)
		}
	}
	b.sched.Kick()
	b.syncCircleEvents(ctx, r.GuildID, c.ID) // events are cancelled

	told := b.tellMembers(ctx, r.Lang, updated, true, func(l i18n.Locale) string {
		return l.T("dm.archived", i18n.Args{"Circle": updated.EscapedName()})
	})
	return &Response{Update: true, Components: []discordgo.MessageComponent{}, Content: r.T("facilitator.archived", i18n.Args{"Circle": updated.EscapedName(), "Told": told})}, nil
}

// tellMembers DMs text to the circle's active members (and, with
// waitlist, those waiting) and says, for the facilitator's reply, how many
// it reached, in lang. A failed DM (closed DMs) is logged by dm and counted.
func (b *Bot) tellMembers(ctx context.Context, lang i18n.Locale, c circles.Circle, waitlist bool, text func(i18n.Locale) string) string {
	members, err := b.store.Memberships(ctx, c.ID)
	if err != nil {
		b.log.Error("listing members to tell", "guild", c.GuildID, "circle", c.ID, "err", err)
		return lang.T("facilitator.told_unlisted")
	}
	told, failed := 0, 0
	for _, m := range members {
		if m.Status != circles.StatusActive && (!waitlist || m.Status != circles.StatusWaitlisted) {
			continue
		}
		if b.dmIn(c.GuildID, m.UserID, func(l i18n.Locale) *discordgo.MessageSend { return &discordgo.MessageSend{Content: text(l)} }) == nil {
			told++
		} else {
			failed++
		}
	}
	switch {
	case told+failed == 0:
		return lang.T("facilitator.told_none")
	case failed == 0:
		return lang.T("facilitator.told", i18n.Args{"Count": told})
	}
	return lang.T("facilitator.told_failed", i18n.Args{"Count": told, "Failed": failed})
}
