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

// Member commands: /circles, /join, /leave, /helpnow, and the buttons they
// show (join, cancel, leave); /mycircles is in mycircles.go. Every answer is
// ephemeral, and every button re-checks who clicked it, in which server, and
// what the store says now: a custom_id is only a hint.

// memberColor is the colour of member-facing embeds.
const memberColor = 0x5B8DEF

// peerSupportNote is said wherever people choose or look at circles.
func peerSupportNote(lang i18n.Locale) string { return lang.T("member.peer_support_note") }

// maxListedCircles bounds /circles: Discord shows at most 10 embeds per message.
const maxListedCircles = 10

// memberRoutes registers the handlers of this feature.
func (b *Bot) memberRoutes() {
	b.router.Command("circles", b.circlesCommand)
	b.router.Command("join", b.joinCommand)
	b.router.Autocomplete("join", "circle", func(ctx context.Context, r *Request) (*Response, error) {
		return b.circleChoices(ctx, r, circles.CircleFilter{})
	})
	b.router.Command("leave", b.leaveCommand)
	b.router.Autocomplete("leave", "circle", b.myCircleChoices)
	b.router.Command("helpnow", b.helpNowCommand)
	b.router.Component("join", b.joinButton)
	b.router.Component("cancel", cancelButton)
	b.router.Component("leave", b.leaveButton)
	b.myCirclesRoutes()
}

// seatState is what a circle's seats look like now.
type seatState struct {
	members, listeners int // active, by mode
	waitlist           int
}

func seatsOf(st circles.CircleState) seatState {
	return seatState{members: st.Seats.Members, listeners: st.Seats.Listeners, waitlist: st.Waitlist}
}

// circleStates reads the seats and live sessions of circles, all at once
// (circles.Store.CircleStates), as of now.
func (b *Bot) circleStates(ctx context.Context, guildID string, now time.Time, cs ...circles.Circle) (map[int64]circles.CircleState, error) {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return b.store.CircleStates(ctx, guildID, ids, now)
}

func (s seatState) membersLeft(c circles.Circle) int { return max(c.Capacity-s.members, 0) }
func (s seatState) listenersLeft(c circles.Circle) int {
	if !c.AcceptsListeners() {
		return 0
	}
	return max(c.ListenerSeats()-s.listeners, 0)
}

func kindLabel(lang i18n.Locale, k circles.Kind) string {
	switch k {
	case circles.KindPeer, circles.KindEducational, circles.KindCondition, circles.KindDemographic:
		return lang.T("kind." + string(k))
	}
	return lang.T("kind.other")
}

// modeWord names a mode in a sentence ("a {{.Mode}}"): member, listener.
func modeWord(lang i18n.Locale, m circles.Mode) string {
	if m == circles.ModeListener {
		return lang.T("mode.listener")
	}
	return lang.T("mode.member")
}

// ruleInWords puts a schedule in words: "Every Tuesday at 19:00 (Europe/Berlin), 60 minutes".
func ruleInWords(lang i18n.Locale, r circles.Rule) string {
	if r.Cron == "" && (r.EveryWeeks > 1 || r.NthWeekday != 0) {
		return describeRule(lang, r) // every few weeks, or monthly
	}
	args := i18n.Args{"Count": int(r.Duration.Minutes()), "Zone": r.TimeZone}
	if r.Cron != "" {
		args["Cron"] = r.Cron
		return lang.T("member.rule_cron", args)
	}
	args["Weekday"] = lang.T("weekday." + strings.ToLower(r.Weekday.String()))
	args["Time"] = fmt.Sprintf("%02d:%02d", r.Hour, r.Minute)
	return lang.T("member.rule_weekly", args)
}

func mentionList(ids []string) string {
	if len(ids) == 0 {
		return "—"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "<@" + id + ">"
	}
	return strings.Join(out, ", ")
}

// openSession returns the circle's open session, if any.
func (b *Bot) openSession(ctx context.Context, c circles.Circle) (*circles.Session, error) {
	open, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}, Limit: 1})
	if err != nil || len(open) == 0 {
		return nil, err
	}
	return &open[0], nil
}

// nextSessionText says when the circle meets next, as timestamps every
// reader sees in their own time zone, from its state as of now.
func (b *Bot) nextSessionText(lang i18n.Locale, c circles.Circle, st circles.CircleState, now time.Time) string {
	if c.Archived {
		return lang.T("member.next_archived")
	}
	if s := st.Open(); s != nil {
		return inSessionText(lang, *s)
	}
	occ, err := upcoming(c, st, now, 1)
	if err != nil {
		b.log.Error("working out the next session", "guild", c.GuildID, "circle", c.ID, "err", err)
		return lang.T("member.next_unknown")
	}
	if len(occ) == 0 {
		return lang.T("member.next_none")
	}
	return Timestamp(occ[0].Start)
}

// upcoming is the circle's next n occurrences after now, from its state.
func upcoming(c circles.Circle, st circles.CircleState, now time.Time, n int) ([]schedule.Occurrence, error) {
	return schedule.UpcomingAfter(c, now, st.Skipped, schedule.BusyUntil(st.Sessions, now), n)
}

// inSessionText says that an open session is on, until when and where.
func inSessionText(lang i18n.Locale, s circles.SessionBrief) string {
	args := i18n.Args{"End": fmt.Sprintf("<t:%d:t>", s.End.Unix()), "Channel": "<#" + s.ChannelID + ">"}
	if s.ChannelID != "" {
		return lang.T("member.in_session_channel", args)
	}
	return lang.T("member.in_session", args)
}

// ---- /circles ----

func (b *Bot) circlesCommand(ctx context.Context, r *Request) (*Response, error) {
	if err := requireGuild(r); err != nil {
		return nil, err
	}
	// The first circles, how many there are, and the seats and sessions
	// of those shown: one statement however many circles there are.
	now := b.clock.Now()
	page, err := b.store.CirclePage(ctx, r.GuildID, circles.CircleFilter{Limit: maxListedCircles}, now)
	if err != nil {
		return nil, err
	}
	shown, count, states := page.Circles, page.Total, page.States
	if len(shown) == 0 {
		return &Response{Content: r.T("member.no_circles") + "\n\n" + peerSupportNote(r.Lang)}, nil
	}
	resp := &Response{}
	total := 0
	for _, c := range shown {
		e := b.circleEmbed(r.Lang, c, states[c.ID], now)
		// Discord allows 6,000 characters across a message's embeds.
		if n := embedLength(e); total+n > 5800 {
			break
		} else {
			total += n
		}
		resp.Embeds = append(resp.Embeds, e)
	}
	header := r.T("member.circles_header", i18n.Args{"Count": count})
	if len(resp.Embeds) < count {
		header += "\n" + r.T("member.circles_showing", i18n.Args{"Shown": len(resp.Embeds), "Count": count})
	}
	resp.Content = header + "\n" + peerSupportNote(r.Lang)
	return resp, nil
}

// circleEmbed describes a circle to people choosing one. It names its
// facilitators but never its members: there are no public rosters.
func (b *Bot) circleEmbed(lang i18n.Locale, c circles.Circle, st circles.CircleState, now time.Time) *discordgo.MessageEmbed {
	s := seatsOf(st)
	seats := lang.T("member.seats_left", i18n.Args{"Count": s.membersLeft(c), "Of": c.Capacity})
	if s.membersLeft(c) == 0 {
		seats = lang.T("member.seats_full", i18n.Args{"Count": c.Capacity})
	}
	listeners := lang.T("member.no_listener_seats")
	if c.AcceptsListeners() {
		listeners = lang.T("member.seats_left", i18n.Args{"Count": s.listenersLeft(c), "Of": c.ListenerSeats()})
	}
	waitlist := lang.T("member.nobody_waiting")
	if s.waitlist > 0 {
		waitlist = lang.T("member.waiting", i18n.Args{"Count": s.waitlist})
	}
	topic := circles.EscapeMarkdown(c.Topic)
	if topic == "" {
		topic = lang.T("member.no_topic")
	}
	return &discordgo.MessageEmbed{
		Title:       truncate(c.EscapedName(), 256),
		Description: topic,
		Color:       memberColor,
		Fields: []*discordgo.MessageEmbedField{
			{Name: lang.T("member.kind_field"), Value: kindLabel(lang, c.Kind), Inline: true},
			{Name: lang.T("member.facilitators_field"), Value: truncate(mentionList(c.Facilitators), 1024), Inline: true},
			{Name: lang.T("member.meets_field"), Value: ruleInWords(lang, c.Schedule)},
			{Name: lang.T("member.next_field"), Value: b.nextSessionText(lang, c, st, now)},
			{Name: lang.T("member.seats_field"), Value: seats, Inline: true},
			{Name: lang.T("member.listener_seats_field"), Value: listeners, Inline: true},
			{Name: lang.T("member.waitlist_field"), Value: waitlist, Inline: true},
		},
	}
}

func embedLength(e *discordgo.MessageEmbed) int {
	n := len([]rune(e.Title)) + len([]rune(e.Description))
	for _, f := range e.Fields {
		n += len([]rune(f.Name)) + len([]rune(f.Value))
	}
	if e.Footer != nil {
		n += len([]rune(e.Footer.Text))
	}
	return n
}

// ---- /join ----

func (b *Bot) joinCommand(ctx context.Context, r *Request) (*Response, error) {
	if err := requireGuild(r); err != nil {
		return nil, err
	}
	c, err := b.resolveCircle(ctx, r.GuildID, r.String("circle"))
	if err != nil {
		return nil, err
	}
	if c.Archived {
		return nil, lerr(circles.EConflict, "member.archived", i18n.Args{"Circle": c.EscapedName()})
	}
	prev, err := b.membershipOrNil(ctx, r.GuildID, c.ID, r.UserID)
	if err != nil {
		return nil, err
	}
	return b.joinScreen(ctx, r, c, prev)
}

func (b *Bot) membershipOrNil(ctx context.Context, guildID string, circleID int64, userID string) (*circles.Membership, error) {
	m, err := b.store.Membership(ctx, guildID, circleID, userID)
	if circles.ErrorCode(err) == circles.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func joinID(r *Request, c circles.Circle, mode circles.Mode) CustomID {
	return CustomID{Action: "join", GuildID: r.GuildID, CircleID: c.ID, Version: c.Guidelines.Version, UserID: r.UserID, Arg: string(mode)}
}

func cancelRow(r *Request) discordgo.Button {
	return Button(r.T("member.cancel_button"), discordgo.SecondaryButton, CustomID{Action: "cancel", UserID: r.UserID})
}

// joinScreen shows the guidelines and the consent text with the buttons to
// agree, or, for someone already in with current consent, where they stand.
func (b *Bot) joinScreen(ctx context.Context, r *Request, c circles.Circle, prev *circles.Membership) (*Response, error) {
	if prev != nil && prev.Status == circles.StatusRemoved {
		return nil, lerr(circles.EForbidden, "member.removed", i18n.Args{"Circle": c.EscapedName()})
	}
	in := prev != nil && (prev.Status == circles.StatusActive || prev.Status == circles.StatusWaitlisted)
	if in && prev.ConsentVersion == c.Guidelines.Version {
		return b.alreadyInScreen(ctx, r, c, *prev)
	}
	renewal := in // in, or waiting, with consent to older guidelines
	now := b.clock.Now()
	states, err := b.circleStates(ctx, r.GuildID, now, c)
	if err != nil {
		return nil, err
	}
	st := states[c.ID]
	s := seatsOf(st)

	var sb strings.Builder
	switch {
	case renewal && prev.Status == circles.StatusWaitlisted:
		pos, err := b.waitlistPosition(ctx, r.GuildID, c.ID, r.UserID)
		if err != nil {
			return nil, err
		}
		sb.WriteString(r.T("join.changed_waitlisted", i18n.Args{"Circle": c.EscapedName(), "Position": pos}) + "\n\n")
	case renewal:
		sb.WriteString(r.T("join.changed", i18n.Args{"Circle": c.EscapedName()}) + "\n\n")
	default:
		sb.WriteString(r.T("join.before", i18n.Args{"Circle": c.EscapedName()}) + "\n\n")
	}
	sb.WriteString(r.T("join.consent", i18n.Args{"Version": c.Guidelines.Version}) + "\n" + whoCanReadNote(r.Lang) + "\n\n")
	sb.WriteString(r.T("join.next", i18n.Args{"Next": b.nextSessionText(r.Lang, c, st, now)}) + "\n")
	if !renewal && s.membersLeft(c) == 0 {
		sb.WriteString(r.T("join.full", i18n.Args{"Count": c.Capacity, "Ahead": s.waitlist}) + "\n")
	}
	if !renewal && c.AcceptsListeners() {
		if s.listenersLeft(c) > 0 {
			sb.WriteString(r.T("join.listen_offer") + "\n")
		} else {
			sb.WriteString(r.T("join.listeners_full") + "\n")
		}
	}

	agree := r.T("join.agree_button")
	listen := r.T("join.listen_button")
	if renewal {
		agree, listen = r.T("join.continue_member_button"), r.T("join.continue_listener_button")
	}
	buttons := []discordgo.MessageComponent{Button(agree, discordgo.SuccessButton, joinID(r, c, circles.ModeMember))}
	// A listener renewing consent keeps their seat even when the circle
	// takes no new listeners.
	if c.AcceptsListeners() || (renewal && prev.Status == circles.StatusActive && prev.Mode == circles.ModeListener) {
		buttons = append(buttons, Button(listen, discordgo.PrimaryButton, joinID(r, c, circles.ModeListener)))
	}
	buttons = append(buttons, cancelRow(r))
	return &Response{
		Content: sb.String(),
		Embeds: []*discordgo.MessageEmbed{{
			Title:       truncate(r.T("join.guidelines_title", i18n.Args{"Circle": c.EscapedName()}), 256),
			Description: circles.NeutralizeFormatting(c.Guidelines.Text),
			Color:       memberColor,
			Footer:      &discordgo.MessageEmbedFooter{Text: r.T("join.guidelines_footer", i18n.Args{"Version": c.Guidelines.Version})},
		}},
		Components: []discordgo.MessageComponent{Row(buttons...)},
	}, nil
}

// alreadyInScreen tells a member or waitlisted person where they stand and
// offers to switch between speaking and listening.
func (b *Bot) alreadyInScreen(ctx context.Context, r *Request, c circles.Circle, m circles.Membership) (*Response, error) {
	var sb strings.Builder
	if m.Status == circles.StatusWaitlisted {
		pos, err := b.waitlistPosition(ctx, r.GuildID, c.ID, r.UserID)
		if err != nil {
			return nil, err
		}
		sb.WriteString(r.T("join.already_waitlisted", i18n.Args{"Position": pos, "Circle": c.EscapedName(), "Mode": modeWord(r.Lang, m.Mode)}))
	} else {
		sb.WriteString(r.T("join.already_in", i18n.Args{"Circle": c.EscapedName(), "Mode": modeWord(r.Lang, m.Mode)}))
	}
	var buttons []discordgo.MessageComponent
	switch {
	case m.Mode == circles.ModeListener:
		// A listener may always move to a speaking seat, even once the
		// circle takes no more listeners.
		if c.AcceptsListeners() {
			sb.WriteString("\n" + r.T("join.can_switch"))
		} else {
			sb.WriteString("\n" + r.T("join.no_new_listeners", i18n.Args{"Circle": c.EscapedName()}))
		}
		buttons = append(buttons, Button(r.T("join.to_speaking_button"), discordgo.PrimaryButton, joinID(r, c, circles.ModeMember)))
	case c.AcceptsListeners():
		sb.WriteString("\n" + r.T("join.can_switch"))
		buttons = append(buttons, Button(r.T("join.to_listening_button"), discordgo.PrimaryButton, joinID(r, c, circles.ModeListener)))
	}
	sb.WriteString("\n" + r.T("join.to_leave"))
	resp := &Response{Content: sb.String()}
	if len(buttons) > 0 {
		resp.Components = []discordgo.MessageComponent{Row(append(buttons, cancelRow(r))...)}
	}
	return resp, nil
}

func (b *Bot) waitlistPosition(ctx context.Context, guildID string, circleID int64, userID string) (int, error) {
	list, err := b.store.UserCircles(ctx, guildID, userID)
	if err != nil {
		return 0, err
	}
	for _, uc := range list {
		if uc.Circle.ID == circleID {
			return uc.Position, nil
		}
	}
	return 0, nil
}

// buttonInGuild checks a button is clicked by its owner in its own server
// and that its custom_id names them both, so a button with fields stripped
// or edited is refused too.
func buttonInGuild(r *Request) error {
	if err := requireGuild(r); err != nil {
		return err
	}
	if err := checkButtonOwner(r); err != nil {
		return err
	}
	if r.CustomID.UserID == "" || r.CustomID.GuildID != r.GuildID {
		return errBadCustomID
	}
	return nil
}

// circleForButton loads the circle a button names, in the server it was
// clicked in.
func (b *Bot) circleForButton(ctx context.Context, guildID string, id int64) (circles.Circle, error) {
	c, err := b.store.Circle(ctx, guildID, id)
	if circles.ErrorCode(err) == circles.ENotFound {
		return c, lerr(circles.ENotFound, "member.circle_gone")
	}
	return c, err
}

// sessionForButton loads the session and circle a button names, checking
// both belong to the guild the button is used for (a custom_id is client
// data). goneKey is the catalog key of what to say when the session no
// longer exists.
func (b *Bot) sessionForButton(ctx context.Context, guildID string, id CustomID, goneKey string) (circles.Session, circles.Circle, error) {
	s, err := b.store.Session(ctx, id.SessionID)
	if circles.ErrorCode(err) == circles.ENotFound || (err == nil && (s.GuildID != guildID || s.CircleID != id.CircleID)) {
		return s, circles.Circle{}, lerr(circles.ENotFound, goneKey)
	}
	if err != nil {
		return s, circles.Circle{}, err
	}
	c, err := b.circleForButton(ctx, guildID, s.CircleID)
	return s, c, err
}

func (b *Bot) joinButton(ctx context.Context, r *Request) (*Response, error) {
	if err := buttonInGuild(r); err != nil {
		return nil, err
	}
	mode := circles.Mode(r.CustomID.Arg)
	if !mode.Valid() {
		return nil, errBadCustomID
	}
	// The join reads the circle, the membership before it and the
	// circle's sessions in its own transaction: nothing is read before or
	// after it unless a session channel needs its access changed.
	// The join also notes the client's locale (noteLocale, forced: a
	// join makes someone a person the bot may DM), in its transaction.
	loc := noteableLocale(r.Interaction, r.UserID)
	res, err := b.store.Join(ctx, circles.JoinRequest{
		GuildID: r.GuildID, CircleID: r.CustomID.CircleID, UserID: r.UserID, Mode: mode, GuidelinesVersion: r.CustomID.Version,
		Locale: loc,
	}, r.Now)
	if circles.ErrorCode(err) == circles.ENotFound {
		// Say that the circle is gone the way every button does.
		if _, cerr := b.circleForButton(ctx, r.GuildID, r.CustomID.CircleID); cerr != nil {
			return nil, cerr
		}
	}
	if err != nil {
		return nil, err
	}
	c, prev, m := res.Circle, res.Previous, res.Membership
	b.log.Info("joined circle", "guild", r.GuildID, "circle", c.ID, "mode", m.Mode, "status", m.Status,
		"switched", res.Switched, "guidelines_version", r.CustomID.Version)

	// renewed: consent to older guidelines was renewed by this click.
	renewed := prev != nil && (prev.Status == circles.StatusActive || prev.Status == circles.StatusWaitlisted) &&
		prev.ConsentVersion != r.CustomID.Version
	b.localeNoted(r.GuildID, r.UserID, loc)
	args := i18n.Args{"Circle": c.EscapedName(), "Version": r.CustomID.Version, "Position": res.Position, "Mode": modeWord(r.Lang, m.Mode)}
	var text string
	switch {
	case renewed && !res.Switched && m.Status == circles.StatusWaitlisted:
		text = r.T("join.renewed_waitlisted", args)
	case m.Status == circles.StatusWaitlisted:
		text = r.T("join.waitlisted", args)
	case res.Switched && renewed:
		text = r.T("join.switched_renewed", args)
	case res.Switched:
		text = r.T("join.switched", args)
	case renewed:
		text = r.T("join.renewed", args)
	default:
		text = r.T("join.welcome", args)
		if m.Mode == circles.ModeListener {
			text += " " + r.T("join.welcome_listener")
		}
	}
	if res.SessionChannels && (m.Status == circles.StatusActive || len(res.Promoted) > 0) {
		if err := b.refreshAccess(ctx, r.GuildID, c.ID); err != nil {
			b.log.Error("granting session access after join", "guild", r.GuildID, "circle", c.ID, "err", err)
		}
	}
	b.tellPromoted(c, res.Promoted)
	b.cardChanged(c.GuildID, c.ID)
	if m.Status == circles.StatusActive {
		text += "\n" + r.T("join.next", i18n.Args{"Next": b.nextSessionText(r.Lang, c, res.Sessions, r.Now)}) + "\n" + r.T("join.after")
	}
	return updateTo(text), nil
}

// updateTo replaces the clicked message with text and no embeds or buttons.
func updateTo(text string) *Response {
	return &Response{Content: text, Update: true, Embeds: []*discordgo.MessageEmbed{}, Components: []discordgo.MessageComponent{}}
}

func cancelButton(_ context.Context, r *Request) (*Response, error) {
	if err := checkButtonOwner(r); err != nil {
		return nil, err
	}
	return updateTo(r.T("member.cancelled")), nil
}

// ---- /leave ----

// myCircleChoices offers the circles the user is in.
func (b *Bot) myCircleChoices(ctx context.Context, r *Request) (*Response, error) {
	if r.GuildID == "" {
		return &Response{}, nil
	}
	list, err := b.store.UserCircles(ctx, r.GuildID, r.UserID)
	if err != nil {
		return nil, err
	}
	typed := strings.ToLower(r.String(r.Focused))
	resp := &Response{}
	for _, uc := range list {
		if typed != "" && !strings.HasPrefix(strings.ToLower(uc.Circle.Name), typed) {
			continue
		}
		resp.Choices = append(resp.Choices, circleChoice(uc.Circle))
		if len(resp.Choices) == 25 {
			break
		}
	}
	return resp, nil
}

func (b *Bot) leaveCommand(ctx context.Context, r *Request) (*Response, error) {
	if err := requireGuild(r); err != nil {
		return nil, err
	}
	c, err := b.resolveCircle(ctx, r.GuildID, r.String("circle"))
	if err != nil {
		return nil, err
	}
	m, err := b.membershipOrNil(ctx, r.GuildID, c.ID, r.UserID)
	if err != nil {
		return nil, err
	}
	if err := circles.DecideLeave(c, m); err != nil {
		return nil, lerr(circles.ENotFound, "leave.not_in", i18n.Args{"Circle": c.EscapedName()})
	}
	key := "leave.confirm"
	if m.Status == circles.StatusWaitlisted {
		key = "leave.confirm_waitlisted"
	}
	confirm := CustomID{Action: "leave", GuildID: r.GuildID, CircleID: c.ID, UserID: r.UserID, Arg: "confirm"}
	return &Response{
		Content: r.T(key, i18n.Args{"Circle": c.EscapedName()}),
		Components: []discordgo.MessageComponent{Row(
			Button(r.T("leave.button", i18n.Args{"Circle": truncate(c.Name, 60)}), discordgo.DangerButton, confirm),
			cancelRow(r),
		)},
	}, nil
}

func (b *Bot) leaveButton(ctx context.Context, r *Request) (*Response, error) {
	if err := buttonInGuild(r); err != nil {
		return nil, err
	}
	if r.CustomID.Arg != "confirm" {
		return nil, errBadCustomID
	}
	c, err := b.circleForButton(ctx, r.GuildID, r.CustomID.CircleID)
	if err != nil {
		return nil, err
	}
	res, err := b.store.Leave(ctx, r.GuildID, c.ID, r.UserID, r.Now)
	if err != nil {
		return nil, err
	}
	b.log.Info("left circle", "guild", r.GuildID, "circle", c.ID, "promoted", len(res.Promoted))
	b.afterLeave(ctx, res)
	return updateTo(r.T("leave.done", i18n.Args{"Circle": c.EscapedName()})), nil
}

// ---- /helpnow ----

func (b *Bot) helpNowCommand(ctx context.Context, r *Request) (*Response, error) {
	g := b.defaultGuildSettings(r.GuildID)
	// The server's own text wins; otherwise the default list of the
	// member's language.
	if r.GuildID != "" {
		var err error
		if g, err = b.settings(ctx, r.GuildID); err != nil {
			// Crisis resources must always show: fall back to the default.
			b.log.Error("loading settings for /helpnow", "guild", r.GuildID, "err", err)
			g = b.defaultGuildSettings(r.GuildID)
		}
	}
	crisis := g.Crisis()
	if strings.TrimSpace(g.CrisisResources) == "" {
		crisis = r.T("helpnow.default_resources")
	}
	return &Response{
		Content: r.T("helpnow.intro"),
		Embeds: []*discordgo.MessageEmbed{{
			Title:       r.T("helpnow.embed_title"),
			Description: crisis,
			Color:       0xE0556B,
			Footer:      &discordgo.MessageEmbedFooter{Text: r.T("helpnow.only_you_footer")},
		}},
	}, nil
}
