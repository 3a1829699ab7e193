package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// /mycircles: a member's circles, mode, next sessions with RSVP buttons and
// reminders on/off, within Discord's five rows of five buttons. The
// overview shows a few circles a page, each with one row: Going and Skip
// for its next session, the reminders toggle, and "Sessions…", which shows
// that circle's next sessions each with its own Going and Skip. Prev/Next
// page through the circles.
//
// Navigation buttons carry a circle, not a page number: "the page with
// this circle on it" stays right when the list changed between clicks.

const (
	// myCirclesPerPage: one row of buttons per circle, and a row for paging.
	myCirclesPerPage = 3
	// mySessionsShown: one row per session, and a row for Back.
	mySessionsShown = 3
)

// Custom_id actions of /mycircles.
const (
	actionRSVP         = "rsvp"          // answer for a session; re-renders the overview (or, in a DM, just says so)
	actionRSVPSessions = "rsvp-sessions" // the same, from the sessions view
	actionRemind       = "remind"        // reminders on/off
	actionMyCircles    = "mycircles"     // the overview page with CircleID on it (0: the first)
	actionMySessions   = "mysessions"    // CircleID's next sessions
)

func (b *Bot) myCirclesRoutes() {
	b.router.Command("mycircles", b.myCirclesCommand)
	b.router.Component(actionRSVP, b.rsvpButton)
	b.router.Component(actionRSVPSessions, b.rsvpButton)
	b.router.Component(actionRemind, b.remindButton)
	b.router.Component(actionMyCircles, b.myCirclesPageButton)
	b.router.Component(actionMySessions, b.mySessionsButton)
	b.calendarRoutes()
}

func (b *Bot) myCirclesCommand(ctx context.Context, r *Request) (*Response, error) {
	if err := requireGuild(r); err != nil {
		return nil, err
	}
	return b.myCircles(ctx, r.Lang, r.GuildID, r.UserID, 0, "")
}

// myCircles renders the overview page that shows circle anchor (the first
// page when anchor is 0 or no longer listed). notice, if set, leads the
// message (the result of a click).
func (b *Bot) myCircles(ctx context.Context, lang i18n.Locale, guildID, userID string, anchor int64, notice string) (*Response, error) {
	list, err := b.store.UserCircles(ctx, guildID, userID)
	if err != nil {
		return nil, err
	}
	resp := &Response{Embeds: []*discordgo.MessageEmbed{}, Components: []discordgo.MessageComponent{}}
	var head []string
	if notice != "" {
		head = append(head, notice)
	}
	if len(list) == 0 {
		head = append(head, lang.T("mycircles.none"))
		resp.Content = strings.Join(head, "\n\n")
		return resp, nil
	}
	page := 0
	for i, uc := range list {
		if uc.Circle.ID == anchor {
			page = i / myCirclesPerPage
		}
	}
	pages := (len(list) + myCirclesPerPage - 1) / myCirclesPerPage
	from, to := page*myCirclesPerPage, min((page+1)*myCirclesPerPage, len(list))
	shown := list[from:to]
	// What the page shows of its circles is read for them all at once: their
	// states, then the user's answers for their next sessions.
	now := b.clock.Now()
	cs := make([]circles.Circle, len(shown))
	for i, uc := range shown {
		cs[i] = uc.Circle
	}
	states, err := b.circleStates(ctx, guildID, now, cs...)
	if err != nil {
		return nil, err
	}
	nexts := make([]*circles.SessionBrief, len(shown))
	var nextIDs []int64
	for i, uc := range shown {
		if uc.Membership.Status != circles.StatusActive {
			continue
		}
		if nexts[i] = states[uc.Circle.ID].Next(); nexts[i] == nil {
			planned, err := b.nextSession(ctx, uc.Circle)
			if err != nil {
				return nil, err
			}
			if planned != nil {
				brief := planned.Brief()
				nexts[i] = &brief
			}
		}
		if nexts[i] != nil {
			nextIDs = append(nextIDs, nexts[i].ID)
		}
	}
	answers, err := b.rsvpsOf(ctx, userID, nextIDs...)
	if err != nil {
		return nil, err
	}
	for i, uc := range shown {
		e, row := b.myCircleEntry(lang, uc, userID, states[uc.Circle.ID], nexts[i], answers, now)
		resp.Embeds = append(resp.Embeds, e)
		if len(row.Components) > 0 {
			resp.Components = append(resp.Components, row)
		}
	}
	if pages > 1 {
		head = append(head, lang.T("mycircles.page", i18n.Args{"Page": page + 1, "Pages": pages, "Count": len(list)}))
		nav := func(label, arg string, target int) discordgo.Button {
			btn := Button(label, discordgo.SecondaryButton, CustomID{Action: actionMyCircles, GuildID: guildID, UserID: userID, Arg: arg,
				CircleID: list[min(max(target, 0), pages-1)*myCirclesPerPage].Circle.ID})
			btn.Disabled = target < 0 || target >= pages
			return btn
		}
		resp.Components = append(resp.Components, Row(nav(lang.T("mycircles.previous_button"), "prev", page-1), nav(lang.T("mycircles.next_button"), "next", page+1)))
	}
	resp.Components = append(resp.Components, calendarRow(lang, guildID, userID))
	head = append(head, lang.T("mycircles.only_you")+" "+peerSupportNote(lang))
	resp.Content = strings.Join(head, "\n\n")
	return resp, nil
}

// myCircleEntry is one circle of the overview: an embed and its row of
// buttons, from the circle's state as of now, its next stored session (for
// an active member; nil otherwise) and the user's answers.
func (b *Bot) myCircleEntry(lang i18n.Locale, uc circles.UserCircle, userID string, st circles.CircleState, next *circles.SessionBrief, answers map[int64]circles.RSVPStatus, now time.Time) (*discordgo.MessageEmbed, discordgo.ActionsRow) {
	c, m := uc.Circle, uc.Membership
	row := discordgo.ActionsRow{}
	e := &discordgo.MessageEmbed{Title: truncate(c.EscapedName(), 256), Color: memberColor}
	add := func(name, value string) {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: value})
	}
	mode, modeLower := lang.T("mycircles.speaking_member"), lang.T("mycircles.speaking_member_lower")
	if m.Mode == circles.ModeListener {
		mode, modeLower = lang.T("mycircles.listener"), lang.T("mycircles.listener_lower")
	}
	if m.Status == circles.StatusWaitlisted {
		add(lang.T("mycircles.status_field"), lang.T("mycircles.waitlisted", i18n.Args{"Position": uc.Position, "Mode": modeLower}))
	} else {
		add(lang.T("mycircles.status_field"), mode)
	}
	if m.ConsentVersion == c.Guidelines.Version {
		add(lang.T("mycircles.consent_field"), lang.T("mycircles.consent_current", i18n.Args{"Version": c.Guidelines.Version}))
	} else {
		add(lang.T("mycircles.consent_field"), lang.T("mycircles.consent_changed", i18n.Args{"Circle": c.EscapedName()}))
	}

	var lines []string
	if s := st.Open(); s != nil {
		lines = append(lines, inSessionText(lang, *s)) // never archived: UserCircles leaves those out
	}
	occ, err := upcoming(c, st, now, mySessionsShown)
	if err != nil {
		b.log.Error("listing upcoming sessions", "guild", c.GuildID, "circle", c.ID, "err", err)
	}
	for _, o := range occ {
		lines = append(lines, "• "+ShortTimestamp(o.Start))
	}
	if len(lines) == 0 {
		lines = append(lines, lang.T("member.next_none"))
	}
	add(lang.T("mycircles.next_sessions_field"), strings.Join(lines, "\n"))

	name := truncate(c.Name, 30)
	if m.Status == circles.StatusActive {
		if next != nil {
			status := answers[next.ID]
			add(lang.T("mycircles.your_rsvp_field"), fmt.Sprintf("%s — %s", ShortTimestamp(next.Start), rsvpWords(lang, status)))
			going, skip := rsvpButtons(lang, actionRSVP, c, next.ID, userID, status)
			going.Label, skip.Label = lang.T("mycircles.going_named_button", i18n.Args{"Name": name}), lang.T("mycircles.skip_named_button", i18n.Args{"Name": name})
			row.Components = append(row.Components, going, skip)
		}
	}
	toggle := CustomID{Action: actionRemind, GuildID: c.GuildID, CircleID: c.ID, UserID: userID}
	if m.Reminders {
		add(lang.T("mycircles.reminders_field"), lang.T("mycircles.reminders_on"))
		toggle.Arg = "off"
		row.Components = append(row.Components, Button(lang.T("mycircles.reminders_off_button"), discordgo.SecondaryButton, toggle))
	} else {
		add(lang.T("mycircles.reminders_field"), lang.T("mycircles.reminders_off"))
		toggle.Arg = "on"
		row.Components = append(row.Components, Button(lang.T("mycircles.reminders_on_button"), discordgo.SecondaryButton, toggle))
	}
	if m.Status == circles.StatusActive && !c.Archived {
		row.Components = append(row.Components, Button(lang.T("mycircles.sessions_button"), discordgo.PrimaryButton,
			CustomID{Action: actionMySessions, GuildID: c.GuildID, CircleID: c.ID, UserID: userID}))
	}
	return e, row
}

func rsvpWords(lang i18n.Locale, status circles.RSVPStatus) string {
	switch status {
	case circles.RSVPGoing:
		return lang.T("rsvp.going")
	case circles.RSVPSkip:
		return lang.T("rsvp.skipping")
	}
	return lang.T("rsvp.unanswered")
}

// rsvpButtons are the Going and Skip buttons for one session, the current
// answer highlighted. Callers set the labels.
func rsvpButtons(lang i18n.Locale, action string, c circles.Circle, sessionID int64, userID string, status circles.RSVPStatus) (going, skip discordgo.Button) {
	id := CustomID{Action: action, GuildID: c.GuildID, CircleID: c.ID, SessionID: sessionID, UserID: userID}
	goingStyle, skipStyle := discordgo.SecondaryButton, discordgo.SecondaryButton
	switch status {
	case circles.RSVPGoing:
		goingStyle = discordgo.SuccessButton
	case circles.RSVPSkip:
		skipStyle = discordgo.DangerButton
	}
	id.Arg = string(circles.RSVPGoing)
	going = Button(lang.T("rsvp.going_button"), goingStyle, id)
	id.Arg = string(circles.RSVPSkip)
	skip = Button(lang.T("rsvp.skip_button"), skipStyle, id)
	return going, skip
}

// rsvpsOf is userID's answers for sessions, by session ID (none for a
// session not answered), in one lookup.
func (b *Bot) rsvpsOf(ctx context.Context, userID string, sessionIDs ...int64) (map[int64]circles.RSVPStatus, error) {
	rsvps, err := b.store.UserRSVPs(ctx, userID, sessionIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]circles.RSVPStatus, len(rsvps))
	for _, rv := range rsvps {
		out[rv.SessionID] = rv.Status
	}
	return out, nil
}

// nextSession is the circle's next stored session (open or planned), the
// one the overview's RSVP buttons are for. A circle whose next session isn't
// planned yet gets it planned now: planning is idempotent.
func (b *Bot) nextSession(ctx context.Context, c circles.Circle) (*circles.Session, error) {
	if c.Archived {
		return nil, nil
	}
	find := func() (*circles.Session, error) {
		list, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen, circles.SessionPlanned}, Limit: 1})
		if err != nil || len(list) == 0 {
			return nil, err
		}
		return &list[0], nil
	}
	s, err := find()
	if err != nil || s != nil {
		return s, err
	}
	if _, err := b.sched.Plan(ctx, c.ID); err != nil {
		b.log.Warn("planning the next session for /mycircles", "guild", c.GuildID, "circle", c.ID, "err", err)
		return nil, nil
	}
	return find()
}

// upcomingSessions returns the circle's open session, if any, and its next
// occurrences, n in all, as stored sessions so that each can take RSVPs
// (the scheduler plans the ones not stored yet).
func (b *Bot) upcomingSessions(ctx context.Context, c circles.Circle, n int) ([]circles.Session, error) {
	if c.Archived {
		return nil, nil
	}
	out, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
	if err != nil {
		return nil, err
	}
	if len(out) >= n {
		return out[:n], nil
	}
	planned, err := b.sched.PlanUpcoming(ctx, c, n-len(out))
	return append(out, planned...), err
}

// activeCircle loads the circle a /mycircles button names and checks the
// clicker is an active member of it, in this server.
func (b *Bot) activeCircle(ctx context.Context, guildID string, circleID int64, userID string) (circles.Circle, error) {
	c, err := b.circleForButton(ctx, guildID, circleID)
	if err != nil {
		return c, err
	}
	m, err := b.membershipOrNil(ctx, guildID, c.ID, userID)
	if err != nil {
		return c, err
	}
	if m == nil || m.Status != circles.StatusActive {
		return c, lerr(circles.EForbidden, "mycircles.not_member", i18n.Args{"Circle": c.EscapedName()})
	}
	return c, nil
}

// mySessions renders one circle's next sessions, each with Going and Skip.
func (b *Bot) mySessions(ctx context.Context, lang i18n.Locale, c circles.Circle, userID string, now time.Time, notice string) (*Response, error) {
	list, err := b.upcomingSessions(ctx, c, mySessionsShown)
	if err != nil {
		return nil, err
	}
	e := &discordgo.MessageEmbed{Title: truncate(lang.T("mycircles.sessions_title", i18n.Args{"Circle": c.EscapedName()}), 256), Color: memberColor}
	resp := &Response{Embeds: []*discordgo.MessageEmbed{e}, Components: []discordgo.MessageComponent{}}
	ids := make([]int64, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	answers, err := b.rsvpsOf(ctx, userID, ids...)
	if err != nil {
		return nil, err
	}
	loc := c.Location()
	for i, s := range list {
		status := answers[s.ID]
		day := fmt.Sprintf("#%d %s", i+1, shortDate(lang, s.Start.In(loc)))
		when := Timestamp(s.Start)
		if s.State == circles.SessionOpen {
			when = inSessionText(lang, circles.SessionBrief{End: s.End})
		}
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: day, Value: when + "\n" + lang.T("mycircles.your_answer", i18n.Args{"Answer": rsvpWords(lang, status)})})
		going, skip := rsvpButtons(lang, actionRSVPSessions, c, s.ID, userID, status)
		going.Label, skip.Label = lang.T("mycircles.going_named_button", i18n.Args{"Name": day}), lang.T("mycircles.skip_day_button", i18n.Args{"Name": day})
		resp.Components = append(resp.Components, Row(going, skip))
	}
	if len(list) == 0 {
		e.Description = lang.T("mycircles.no_sessions")
	}
	resp.Components = append(resp.Components, Row(Button(lang.T("mycircles.back_button"), discordgo.SecondaryButton,
		CustomID{Action: actionMyCircles, GuildID: c.GuildID, CircleID: c.ID, UserID: userID, Arg: "back"})))
	head := []string{}
	if notice != "" {
		head = append(head, notice)
	}
	head = append(head, lang.T("mycircles.sessions_intro"))
	resp.Content = strings.Join(head, "\n\n")
	return resp, nil
}

// myCirclesPageButton: Previous, Next and Back.
func (b *Bot) myCirclesPageButton(ctx context.Context, r *Request) (*Response, error) {
	if err := buttonInGuild(r); err != nil {
		return nil, err
	}
	switch r.CustomID.Arg {
	case "prev", "next", "back":
	default:
		return nil, errBadCustomID
	}
	resp, err := b.myCircles(ctx, r.Lang, r.GuildID, r.UserID, r.CustomID.CircleID, "")
	if err != nil {
		return nil, err
	}
	resp.Update = true
	return resp, nil
}

// mySessionsButton: "Sessions…" of one circle.
func (b *Bot) mySessionsButton(ctx context.Context, r *Request) (*Response, error) {
	if err := buttonInGuild(r); err != nil {
		return nil, err
	}
	c, err := b.activeCircle(ctx, r.GuildID, r.CustomID.CircleID, r.UserID)
	if err != nil {
		return nil, err
	}
	resp, err := b.mySessions(ctx, r.Lang, c, r.UserID, r.Now, "")
	if err != nil {
		return nil, err
	}
	resp.Update = true
	return resp, nil
}

// buttonGuild is the server a member button acts in: the one it was
// clicked in, or, for a button in a DM (a reminder), the one it names. The
// store then checks the clicker's membership there.
func buttonGuild(r *Request) (string, error) {
	if err := checkButtonOwner(r); err != nil {
		return "", err
	}
	if r.CustomID.UserID == "" || r.CustomID.GuildID == "" {
		return "", errBadCustomID
	}
	if r.GuildID == "" {
		return r.CustomID.GuildID, nil
	}
	if r.CustomID.GuildID != r.GuildID {
		return "", errBadCustomID
	}
	return r.GuildID, nil
}

// rsvpButton records an answer for one session. Everything the custom_id
// says is checked again: the session exists, is of the named circle in
// this server, hasn't ended, and (in the store) the clicker is an active
// member of that circle.
func (b *Bot) rsvpButton(ctx context.Context, r *Request) (*Response, error) {
	guildID, err := buttonGuild(r)
	if err != nil {
		return nil, err
	}
	status := circles.RSVPStatus(r.CustomID.Arg)
	if !status.Valid() {
		return nil, errBadCustomID
	}
	sess, c, err := b.sessionForButton(ctx, guildID, r.CustomID, "mycircles.session_gone")
	if err != nil {
		return nil, err
	}
	switch {
	case sess.State == circles.SessionSkipped:
		return nil, lerr(circles.EConflict, "rsvp.skipped_session", i18n.Args{"Circle": c.EscapedName()})
	case (sess.State != circles.SessionPlanned && sess.State != circles.SessionOpen) || !r.Now.Before(sess.End):
		return nil, lerr(circles.EConflict, "rsvp.over", i18n.Args{"Circle": c.EscapedName()})
	}
	if _, err := b.store.SetRSVP(ctx, guildID, sess.ID, r.UserID, status, r.Now); err != nil {
		return nil, err
	}
	b.log.Info("rsvp", "guild", guildID, "circle", c.ID, "session", sess.ID, "status", status)
	notice := r.T("rsvp.noted_going", i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(sess.Start)})
	if status == circles.RSVPSkip {
		notice = r.T("rsvp.noted_skip", i18n.Args{"Circle": c.EscapedName(), "When": ShortTimestamp(sess.Start)})
	}
	if r.GuildID != "" && r.CustomID.Action == actionRSVPSessions {
		resp, err := b.mySessions(ctx, r.Lang, c, r.UserID, r.Now, notice)
		if err != nil {
			return nil, err
		}
		resp.Update = true
		return resp, nil
	}
	return b.answerMemberClick(ctx, r, guildID, c.ID, notice)
}

func (b *Bot) remindButton(ctx context.Context, r *Request) (*Response, error) {
	guildID, err := buttonGuild(r)
	if err != nil {
		return nil, err
	}
	var on bool
	switch r.CustomID.Arg {
	case "on":
		on = true
	case "off":
	default:
		return nil, errBadCustomID
	}
	c, err := b.circleForButton(ctx, guildID, r.CustomID.CircleID)
	if err != nil {
		return nil, err
	}
	if err := b.store.SetReminders(ctx, guildID, c.ID, r.UserID, on, r.Now); err != nil {
		return nil, err
	}
	b.log.Info("reminders set", "guild", guildID, "circle", c.ID, "on", on)
	notice := r.T("mycircles.reminders_now_on", i18n.Args{"Circle": c.EscapedName()})
	if !on {
		notice = r.T("mycircles.reminders_now_off", i18n.Args{"Circle": c.EscapedName()})
	}
	return b.answerMemberClick(ctx, r, guildID, c.ID, notice)
}

// answerMemberClick re-renders the /mycircles page with the circle on it,
// led by a notice, when the button was on it (in a server), or just says
// what happened (in a DM).
func (b *Bot) answerMemberClick(ctx context.Context, r *Request, guildID string, circleID int64, notice string) (*Response, error) {
	if r.GuildID == "" {
		return &Response{Content: notice}, nil
	}
	resp, err := b.myCircles(ctx, r.Lang, guildID, r.UserID, circleID, notice)
	if err != nil {
		return nil, err
	}
	resp.Update = true
	return resp, nil
}

// shortDate is a session's day, e.g. "Tue 1 Dec", in the reader's language.
func shortDate(lang i18n.Locale, t time.Time) string {
	return lang.T("date.short", i18n.Args{
		"Weekday": lang.T("date.wd." + strings.ToLower(t.Weekday().String()[:3])),
		"Day":     t.Day(),
		"Month":   lang.T("date.mon." + strings.ToLower(t.Month().String()[:3])),
	})
}
