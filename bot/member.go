package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/schedule"
)

// Member commands: /circles, /join, /leave, /helpnow, and the buttons they
// show (join, cancel, leave); /mycircles is in mycircles.go. Every answer is
// ephemeral, and every button re-checks who clicked it, in which server, and
// what the store says now: a custom_id is only a hint.

// memberColor is the colour of member-facing embeds.
const memberColor = 0x5B8DEF

// peerSupportNote is said wherever people choose or look at circles.
const peerSupportNote = "Circles are peer support, not therapy or medical care. If you need help right now, use /helpnow."

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

func kindLabel(k circles.Kind) string {
	switch k {
	case circles.KindPeer:
		return "Peer support"
	case circles.KindEducational:
		return "Educational"
	case circles.KindCondition:
		return "Condition-focused"
	case circles.KindDemographic:
		return "Demographic"
	}
	return "Other"
}

// ruleInWords puts a schedule in words: "Every Tuesday at 19:00 (Europe/Berlin), 60 minutes".
func ruleInWords(r circles.Rule) string {
	mins := int(r.Duration.Minutes())
	if r.Cron != "" {
		return fmt.Sprintf("On the schedule `%s` (%s), %d minutes", r.Cron, r.TimeZone, mins)
	}
	return fmt.Sprintf("Every %s at %02d:%02d (%s), %d minutes", r.Weekday, r.Hour, r.Minute, r.TimeZone, mins)
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
func (b *Bot) nextSessionText(c circles.Circle, st circles.CircleState, now time.Time) string {
	if c.Archived {
		return "None (archived)"
	}
	if s := st.Open(); s != nil {
		return inSessionText(*s)
	}
	occ, err := upcoming(c, st, now, 1)
	if err != nil {
		b.log.Error("working out the next session", "guild", c.GuildID, "circle", c.ID, "err", err)
		return "I couldn't work it out just now."
	}
	if len(occ) == 0 {
		return "None planned"
	}
	return Timestamp(occ[0].Start)
}

// upcoming is the circle's next n occurrences after now, from its state.
func upcoming(c circles.Circle, st circles.CircleState, now time.Time, n int) ([]schedule.Occurrence, error) {
	return schedule.UpcomingAfter(c, now, st.Skipped, schedule.BusyUntil(st.Sessions, now), n)
}

// inSessionText says that an open session is on, until when and where.
func inSessionText(s circles.SessionBrief) string {
	text := fmt.Sprintf("🟢 In session now, until <t:%d:t>", s.End.Unix())
	if s.ChannelID != "" {
		text += fmt.Sprintf(" in <#%s>", s.ChannelID)
	}
	return text
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
		return Reply("No circles yet — facilitators can create one with /circle create.\n\n%s", peerSupportNote), nil
	}
	resp := &Response{}
	total := 0
	for _, c := range shown {
		e := b.circleEmbed(c, states[c.ID], now)
		// Discord allows 6,000 characters across a message's embeds.
		if n := embedLength(e); total+n > 5800 {
			break
		} else {
			total += n
		}
		resp.Embeds = append(resp.Embeds, e)
	}
	header := fmt.Sprintf("**%d circle%s in this server.** Join one with **/join**; your own are in **/mycircles**.", count, plural(count))
	if len(resp.Embeds) < count {
		header += fmt.Sprintf("\nShowing %d of %d; start typing a name in /join to find the others.", len(resp.Embeds), count)
	}
	resp.Content = header + "\n" + peerSupportNote
	return resp, nil
}

// circleEmbed describes a circle to people choosing one. It names its
// facilitators but never its members: there are no public rosters.
func (b *Bot) circleEmbed(c circles.Circle, st circles.CircleState, now time.Time) *discordgo.MessageEmbed {
	s := seatsOf(st)
	seats := fmt.Sprintf("%d of %d left", s.membersLeft(c), c.Capacity)
	if s.membersLeft(c) == 0 {
		seats = fmt.Sprintf("Full (%d) — joining puts you on the waitlist", c.Capacity)
	}
	listeners := "No listener seats"
	if c.AcceptsListeners() {
		listeners = fmt.Sprintf("%d of %d left", s.listenersLeft(c), c.ListenerSeats())
	}
	waitlist := "Nobody waiting"
	if s.waitlist > 0 {
		waitlist = fmt.Sprintf("%d waiting", s.waitlist)
	}
	topic := circles.EscapeMarkdown(c.Topic)
	if topic == "" {
		topic = "_No topic yet._"
	}
	return &discordgo.MessageEmbed{
		Title:       truncate(c.EscapedName(), 256),
		Description: topic,
		Color:       memberColor,
		Fields: []*discordgo.MessageEmbedField{
			{Name: "Kind", Value: kindLabel(c.Kind), Inline: true},
			{Name: "Facilitated by", Value: truncate(mentionList(c.Facilitators), 1024), Inline: true},
			{Name: "Meets", Value: ruleInWords(c.Schedule)},
			{Name: "Next session", Value: b.nextSessionText(c, st, now)},
			{Name: "Speaking seats", Value: seats, Inline: true},
			{Name: "Listener seats", Value: listeners, Inline: true},
			{Name: "Waitlist", Value: waitlist, Inline: true},
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

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
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
		return nil, circles.Errorf(circles.EConflict, "%s is archived and no longer takes members. /circles shows the circles you can join.", c.EscapedName())
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
	return Button("Cancel", discordgo.SecondaryButton, CustomID{Action: "cancel", UserID: r.UserID})
}

// joinScreen shows the guidelines and the consent text with the buttons to
// agree, or, for someone already in with current consent, where they stand.
func (b *Bot) joinScreen(ctx context.Context, r *Request, c circles.Circle, prev *circles.Membership) (*Response, error) {
	if prev != nil && prev.Status == circles.StatusRemoved {
		return nil, circles.Errorf(circles.EForbidden, "A facilitator removed you from %s, so you can't rejoin it yourself. If you think this was a mistake, please talk to a facilitator.", c.EscapedName())
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
		fmt.Fprintf(&sb, "**The guidelines of %s have changed.** Please read them again. You keep your place (#%d on the waitlist) either way; once you agree, you're let in as soon as a seat opens.\n\n", c.EscapedName(), pos)
	case renewal:
		fmt.Fprintf(&sb, "**The guidelines of %s have changed.** Please read them again; you'll be let into sessions once you agree.\n\n", c.EscapedName())
	default:
		fmt.Fprintf(&sb, "**Before you join %s**, please read its guidelines below.\n\n", c.EscapedName())
	}
	fmt.Fprintf(&sb, "By joining you agree to these guidelines (version %d). This is peer support, not therapy or medical care; if you're in crisis, use /helpnow or call your local emergency number. "+
		"You can leave any time with /leave and erase your data with /privacy delete. You may just listen: share only what you want to.\n%s\n\n", c.Guidelines.Version, whoCanReadNote())
	fmt.Fprintf(&sb, "**Next session:** %s\n", b.nextSessionText(c, st, now))
	if !renewal && s.membersLeft(c) == 0 {
		fmt.Fprintf(&sb, "All %d speaking seats are taken, so agreeing puts you on the waitlist (%d ahead of you). I'll DM you when a seat opens.\n", c.Capacity, s.waitlist)
	}
	if !renewal && c.AcceptsListeners() {
		if s.listenersLeft(c) > 0 {
			sb.WriteString("Not ready to speak? **Join as listener** lets you read without posting.\n")
		} else {
			sb.WriteString("Listener seats are full; joining as a listener puts you on the waitlist.\n")
		}
	}

	agree := "I agree — join"
	listen := "Join as listener"
	if renewal {
		agree, listen = "I agree — continue as member", "I agree — continue as listener"
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
			Title:       truncate("Guidelines of "+c.EscapedName(), 256),
			Description: circles.NeutralizeFormatting(c.Guidelines.Text),
			Color:       memberColor,
			Footer:      &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Guidelines version %d", c.Guidelines.Version)},
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
		fmt.Fprintf(&sb, "You're **#%d on the waitlist** for %s as a %s. I'll DM you when a seat opens.", pos, c.EscapedName(), m.Mode)
	} else {
		fmt.Fprintf(&sb, "You're already in **%s** as a %s, and you've agreed to its current guidelines. Your sessions are in /mycircles.", c.EscapedName(), m.Mode)
	}
	var buttons []discordgo.MessageComponent
	switch {
	case m.Mode == circles.ModeListener:
		// A listener may always move to a speaking seat, even once the
		// circle takes no more listeners.
		if c.AcceptsListeners() {
			sb.WriteString("\nYou can switch between speaking and listening below.")
		} else {
			fmt.Fprintf(&sb, "\n%s doesn't take new listeners; you can move to a speaking seat below.", c.EscapedName())
		}
		buttons = append(buttons, Button("Switch to a speaking seat", discordgo.PrimaryButton, joinID(r, c, circles.ModeMember)))
	case c.AcceptsListeners():
		sb.WriteString("\nYou can switch between speaking and listening below.")
		buttons = append(buttons, Button("Switch to listening", discordgo.PrimaryButton, joinID(r, c, circles.ModeListener)))
	}
	sb.WriteString("\nTo leave, use /leave.")
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
		return c, circles.Errorf(circles.ENotFound, "That circle doesn't exist (any more). /circles shows the ones you can join.")
	}
	return c, err
}

// sessionForButton loads the session and circle a button names, checking
// both belong to the guild the button is used for (a custom_id is client
// data). gone is what to say when the session no longer exists.
func (b *Bot) sessionForButton(ctx context.Context, guildID string, id CustomID, gone string) (circles.Session, circles.Circle, error) {
	s, err := b.store.Session(ctx, id.SessionID)
	if circles.ErrorCode(err) == circles.ENotFound || (err == nil && (s.GuildID != guildID || s.CircleID != id.CircleID)) {
		return s, circles.Circle{}, circles.Errorf(circles.ENotFound, "%s", gone)
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
	res, err := b.store.Join(ctx, circles.JoinRequest{
		GuildID: r.GuildID, CircleID: r.CustomID.CircleID, UserID: r.UserID, Mode: mode, GuidelinesVersion: r.CustomID.Version,
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
	var text string
	switch {
	case renewed && !res.Switched && m.Status == circles.StatusWaitlisted:
		text = fmt.Sprintf("✅ Thank you — your consent to the new guidelines of %s (version %d) is recorded. You're still **#%d on the waitlist** as a %s; I'll DM you when a seat opens.",
			c.EscapedName(), r.CustomID.Version, res.Position, m.Mode)
	case m.Status == circles.StatusWaitlisted:
		text = fmt.Sprintf("📝 %s is full right now. You're **#%d on the waitlist** as a %s; I'll DM you when a seat opens. "+
			"Your consent to the guidelines is recorded, so you'll be in as soon as a seat is yours. To leave the waitlist, use /leave.",
			c.EscapedName(), res.Position, m.Mode)
	case res.Switched && renewed:
		text = fmt.Sprintf("🔁 Done — you're now a **%s** in %s, and your consent to its new guidelines (version %d) is recorded.", m.Mode, c.EscapedName(), r.CustomID.Version)
	case res.Switched:
		text = fmt.Sprintf("🔁 Done — you're now a **%s** in %s.", m.Mode, c.EscapedName())
	case renewed:
		text = fmt.Sprintf("✅ Thank you — your consent to the new guidelines of %s (version %d) is recorded. You're still in as a %s.", c.EscapedName(), r.CustomID.Version, m.Mode)
	default:
		text = fmt.Sprintf("🎉 Welcome to **%s**! You joined as a %s.", c.EscapedName(), m.Mode)
		if m.Mode == circles.ModeListener {
			text += " You can read along without posting; switch to a speaking seat any time with /join."
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
		text += fmt.Sprintf("\n**Next session:** %s\nYour sessions, RSVPs and reminders are in /mycircles. You can leave any time with /leave.", b.nextSessionText(c, res.Sessions, r.Now))
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
	return updateTo("Cancelled — nothing changed."), nil
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
		return nil, circles.Errorf(circles.ENotFound, "You're not in %s, so there's nothing to leave. /mycircles shows the circles you're in.", c.EscapedName())
	}
	what := "your seat"
	if m.Status == circles.StatusWaitlisted {
		what = "your place on the waitlist"
	}
	confirm := CustomID{Action: "leave", GuildID: r.GuildID, CircleID: c.ID, UserID: r.UserID, Arg: "confirm"}
	return &Response{
		Content: fmt.Sprintf("Leave **%s**? This withdraws your consent and gives up %s; you'll lose access to its session channels at once. "+
			"You're welcome back any time with /join.", c.EscapedName(), what),
		Components: []discordgo.MessageComponent{Row(
			Button("Leave "+truncate(c.Name, 60), discordgo.DangerButton, confirm),
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
	return updateTo(fmt.Sprintf("👋 You've left **%s** and your consent is withdrawn; you no longer have access to its sessions. "+
		"Thank you for being part of it.\nTo come back, run /join %s (you'll read the guidelines and agree again). "+
		"To erase your records, use /privacy delete.", c.EscapedName(), c.EscapedName())), nil
}

// ---- /helpnow ----

func (b *Bot) helpNowCommand(ctx context.Context, r *Request) (*Response, error) {
	g := b.defaultGuildSettings(r.GuildID)
	if r.GuildID != "" {
		var err error
		if g, err = b.settings(ctx, r.GuildID); err != nil {
			// Crisis resources must always show: fall back to the default.
			b.log.Error("loading settings for /helpnow", "guild", r.GuildID, "err", err)
			g = b.defaultGuildSettings(r.GuildID)
		}
	}
	return &Response{
		Content: "💙 **If you are in danger, call your local emergency number now.**\n" +
			"Circles are peer support, not therapy or medical care. The people below can help right now:",
		Embeds: []*discordgo.MessageEmbed{{
			Title:       "Crisis resources",
			Description: g.Crisis(),
			Color:       0xE0556B,
			Footer:      &discordgo.MessageEmbedFooter{Text: "Only you can see this message."},
		}},
	}, nil
}
