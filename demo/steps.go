package demo

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// The walkthrough, one function per step. Each prints what happened and
// carries on whatever the bot answered: a feature that isn't built yet is
// reported, not fatal.

const circleName = "Grief circle"

var prompts = []string{
	"What brought you here tonight?",
	"What has helped you this week, even a little?",
	"What would you like to carry with you until next time?",
}

func (d *demo) stepServer() {
	d.note("Server “Harbour Community” (simulated), owned by Ada.")
	d.note("Role @Facilitators: Fran, Femi.")
	var names []string
	for _, m := range d.members {
		names = append(names, d.name(m))
	}
	d.note("Members: %s.", strings.Join(names, ", "))
	d.note("Channels: #general, and an empty category “Circles” for session channels.")
	if perms := d.sim.BasePermissions(d.guild, d.sim.BotUserID()); perms&^discordsim.EveryonePermissions == bot.RequiredPermissions&^discordsim.EveryonePermissions {
		d.note("circlebot's role holds exactly what `circlebot invite-url` asks for (%d), @everyone a new server's defaults; the simulator enforces Discord's permission rules of today, Pin Messages included.", bot.RequiredPermissions)
	} else {
		d.missing("the bot's role does not hold what the invite link asks for")
	}
	var cmds []string
	for _, c := range d.sim.Commands("") {
		if c.Type == 3 { // message command
			cmds = append(cmds, "“"+c.Name+"” (on a message)")
			continue
		}
		cmds = append(cmds, "/"+c.Name)
	}
	d.note("circlebot connected over the gateway and registered %d commands: %s.", len(cmds), strings.Join(cmds, " "))
	d.printf("\n")
	// The owner is welcomed by DM when the bot first sees the server.
	d.waitFor(2*time.Second, func() bool { return len(d.sim.DMs(d.ada)) > 0 })
	if d.printDMs(d.ada) == 0 {
		d.missing("no welcome DM to the server owner")
	}
}

func (d *demo) stepHelpNow() {
	d.cmd(d.member(5), "helpnow")
}

func (d *demo) stepSetup() {
	d.cmd(d.ada, "setup",
		discordsim.O("facilitator_role", d.facRole),
		discordsim.O("category", d.category),
		discordsim.O("retention_hours", 24),
		discordsim.O("reminder_minutes", 60))
	g, err := d.store.GuildSettings(d.ctx, d.guild)
	if err != nil || !g.Configured {
		d.missing("/setup saved nothing")
		return
	}
	d.facts["setup"] = "server set up"
	d.note("\nStored: facilitator role, category, retention %dh, reminders %d min before.", g.RetentionHours, g.ReminderMinutes)
}

func (d *demo) stepCreate() {
	choices, err := d.sim.Autocomplete(d.ctx, d.fran, d.guild, "circle create", "timezone", "Europe/Ber")
	if err == nil {
		var names []string
		for _, c := range choices {
			names = append(names, c.Name)
		}
		d.printf("Fran ▸ types “Europe/Ber” in timezone:\n")
		if len(names) == 0 {
			d.printf("  circlebot ▸ suggests nothing\n\n")
		} else {
			d.printf("  circlebot ▸ suggests %s\n\n", strings.Join(names, ", "))
		}
	}
	d.cmd(d.fran, "circle create",
		discordsim.O("name", circleName),
		discordsim.O("kind", "peer"),
		discordsim.O("topic", "A gentle space to talk about loss"),
		discordsim.O("capacity", 3),
		discordsim.O("listeners", true),
		discordsim.O("weekday", "Tuesday"),
		discordsim.O("time", "19:00"),
		discordsim.O("timezone", zone),
		discordsim.O("duration", 60))
	c, err := d.store.CircleByName(d.ctx, d.guild, circleName)
	if err != nil {
		d.missing("/circle create stored no circle")
		return
	}
	d.circleName = c.Name
	d.facts["circle"] = "circle created"
	if s, ok := d.session(); ok {
		d.note("\nThe scheduler planned the first session: %s to %s.", d.text(bot.ShortTimestamp(s.Start)), s.End.In(d.loc).Format("15:04"))
	}
}

func (d *demo) stepPrompts() {
	if d.circleName == "" {
		d.note("(no circle to write prompts for)")
		return
	}
	r := d.circleCmd(d.fran, "prompts")
	if r == nil || r.Modal == nil {
		d.missing("/circle prompts opened no form")
		return
	}
	d.printf("\n")
	first := true
	d.submit(d.fran, r, func(in discordsim.TextInput) (string, bool) {
		if first && (in.Style == 2 || len(r.Modal.Inputs) == 1) {
			first = false
			return strings.Join(prompts, "\n"), true
		}
		return "", false
	})
	if c, err := d.store.CircleByName(d.ctx, d.guild, circleName); err == nil && len(c.Prompts) > 0 {
		d.note("\nStored %d prompts; they will be posted during each session.", len(c.Prompts))
	}
}

func (d *demo) stepBrowse() {
	d.cmd(d.member(0), "circles")
}

// join runs /join as user and clicks the button for mode (member,
// listener, or cancel). With full, the consent screen is printed;
// otherwise it is summarised.
func (d *demo) join(user, mode, label string, full bool) *discordsim.Response {
	value := circleName
	if full {
		choices, err := d.sim.Autocomplete(d.ctx, user, d.guild, "join", "circle", "gri")
		if err == nil {
			d.printf("%s ▸ types “gri” in circle:\n", d.name(user))
			if len(choices) == 0 {
				d.printf("  circlebot ▸ suggests nothing\n\n")
			} else {
				var names []string
				for _, c := range choices {
					names = append(names, c.Name)
				}
				d.printf("  circlebot ▸ suggests %s\n\n", strings.Join(names, ", "))
				if v, ok := choices[0].Value.(string); ok && v != "" {
					value = v
					d.labels[v] = fmt.Sprintf("%q", choices[0].Name)
				}
			}
		}
	}
	var r *discordsim.Response
	if full {
		r = d.cmd(user, "join", discordsim.O("circle", value))
	} else {
		d.printf("%s ▸ /join%s\n", d.name(user), d.optString([]discordsim.Opt{discordsim.O("circle", value)}))
		var err error
		r, err = d.sim.RunCommand(d.ctx, user, d.guild, "join", discordsim.O("circle", value))
		if err != nil {
			d.printf("    ✗ %v\n", err)
			return nil
		}
		d.answered++
		var labels []string
		for _, b := range r.Buttons() {
			labels = append(labels, "["+b.Label+"]")
		}
		d.printf("  circlebot ▸ (only %s sees this) the same guidelines and consent text %s\n", d.name(user), strings.Join(labels, " "))
	}
	if r == nil {
		return nil
	}
	if mode == "cancel" {
		return d.click(user, r, "cancel", "", label)
	}
	return d.click(user, r, "join", mode, label)
}

func (d *demo) stepJoin() {
	if d.circleName == "" {
		d.note("(no circle to join)")
		return
	}
	for i := 0; i < 3; i++ {
		if i > 0 {
			d.printf("\n")
		}
		label := "I agree — join"
		if i == 2 {
			d.note("(%s's Discord is set to German, so circlebot answers in German)", d.name(d.member(i)))
			label = "Ich stimme zu"
		}
		d.join(d.member(i), "member", label, i == 0)
	}
	if n := d.countStatus(circles.StatusActive); n > 0 {
		d.facts["joined"] = fmt.Sprintf("%d joined with consent", n)
	}
}

func (d *demo) stepListener() {
	if d.circleName == "" {
		d.note("(no circle to join)")
		return
	}
	d.join(d.member(3), "listener", "Join as listener", false)
}

func (d *demo) stepWaitlist() {
	if d.circleName == "" {
		d.note("(no circle to join)")
		return
	}
	d.join(d.member(4), "member", "I agree — join", false)
	if d.status(d.member(4)) == circles.StatusWaitlisted {
		d.facts["waitlisted"] = "1 waitlisted"
	}
}

// countStatus counts the circle's memberships with a status.
func (d *demo) countStatus(st circles.MemberStatus) int {
	c, err := d.store.CircleByName(d.ctx, d.guild, circleName)
	if err != nil {
		return 0
	}
	ms, err := d.store.Memberships(d.ctx, c.ID)
	if err != nil {
		return 0
	}
	n := 0
	for _, m := range ms {
		if m.Status == st {
			n++
		}
	}
	return n
}

func (d *demo) stepMyCircles() {
	r := d.cmd(d.member(0), "mycircles")
	if r == nil {
		return
	}
	d.printf("\n")
	d.click(d.member(0), r, "rsvp", "going", "Going")
}

// session returns the sample circle's current session: open, or else the
// next planned one, or else the last one.
func (d *demo) session() (circles.Session, bool) {
	if d.sessionID != 0 {
		s, err := d.store.Session(d.ctx, d.sessionID)
		return s, err == nil
	}
	c, err := d.store.CircleByName(d.ctx, d.guild, circleName)
	if err != nil {
		return circles.Session{}, false
	}
	list, err := d.store.Sessions(d.ctx, circles.SessionFilter{CircleID: c.ID})
	if err != nil || len(list) == 0 {
		return circles.Session{}, false
	}
	for _, s := range list {
		if s.State == circles.SessionPlanned || s.State == circles.SessionOpen {
			return s, true
		}
	}
	return list[len(list)-1], true
}

// people are everyone the walkthrough involves in the circle.
func (d *demo) people() []string {
	return append([]string{d.fran, d.femi}, d.members[:6]...)
}

func (d *demo) stepReminders() {
	s, ok := d.session()
	if !ok {
		d.missing("no session was planned")
		return
	}
	d.sessionID = s.ID
	d.seenDMs = map[string]int{} // fresh: the welcome DM was Ada's
	for _, u := range d.people() {
		d.seenDMs[u] = len(d.sim.DMs(u))
	}
	d.advance(s.Start.Add(-time.Hour))
	d.printf("\n")
	if d.printDMs(d.people()...) == 0 {
		d.missing("no reminder DMs")
		return
	}
	// Answering in the DM: the facilitator says she's coming, a member
	// skips this one.
	for _, a := range []struct{ user, arg, label string }{{d.fran, "going", "Going"}, {d.member(2), "skip", "Diesmal nicht"}} {
		dms := d.sim.DMs(a.user)
		if len(dms) == 0 {
			continue
		}
		m := dms[len(dms)-1]
		d.printf("\n")
		d.clickOn(a.user, m.ChannelID, m.ID, m.Buttons(), "rsvp", a.arg, a.label)
		d.seenDMs[a.user] = len(d.sim.DMs(a.user))
	}
}

func (d *demo) stepOpen() {
	s, ok := d.session()
	if !ok {
		d.missing("no session to open")
		return
	}
	d.advance(s.Start)
	s, _ = d.session()
	if s.ChannelID == "" {
		d.missing("no session channel was opened")
		return
	}
	ch, ok := d.sim.Channel(s.ChannelID)
	if !ok {
		d.missing("the session channel does not exist")
		return
	}
	d.channelID = ch.ID
	d.labels[ch.ID] = "#" + ch.Name
	d.facts["opened"] = "session channel #" + ch.Name + " opened"
	parent := "no category"
	if p, ok := d.sim.Channel(ch.ParentID); ok {
		parent = "category “" + p.Name + "”"
	}
	d.note("\nNew channel #%s in %s. Who may see and write in it, from current consent:\n", ch.Name, parent)
	d.accessTable(ch.ID, d.accessRows())
	d.printf("\n")
	if pins := d.sim.Pins(ch.ID); len(pins) == 0 {
		d.missing("no pinned guidelines")
	}
	if d.printChannel(ch.ID) == 0 {
		d.missing("nothing posted in the session channel")
	}
	d.printDMs(d.people()...)
}

func (d *demo) accessRows() []accessRow {
	return []accessRow{
		{d.ada, "server owner (sees every channel)"},
		{d.fran, "facilitator"},
		{d.femi, "facilitator of other circles"},
		{d.member(0), "member"},
		{d.member(1), "member"},
		{d.member(2), "member"},
		{d.member(3), "listener"},
		{d.member(4), "waitlisted"},
		{d.member(5), "not in the circle"},
	}
}

func (d *demo) stepFlag() {
	if d.channelID == "" {
		d.note("(no session channel)")
		return
	}
	d.printChannel(d.channelID) // anything not yet shown
	text := "Thank you all for being here. This week was hard."
	id, err := d.sim.PostUserMessage(d.member(1), d.channelID, text)
	if err != nil {
		d.printf("Chloé cannot write in the channel: %v\n", err)
		return
	}
	d.seenMsgs[d.channelID]++
	d.printf("%s ▸ writes in %s: “%s”\n", d.name(d.member(1)), d.labels[d.channelID], text)
	d.note("(circlebot never reads or stores what members write.)\n")
	d.printf("%s ▸ right-clicks the message → Apps → “%s”\n", d.name(d.member(0)), bot.FlagCommand)
	r, err := d.sim.MessageCommand(d.ctx, d.member(0), d.guild, bot.FlagCommand, d.channelID, id)
	if err != nil {
		d.printf("    ✗ %v\n", err)
		return
	}
	d.answered++
	d.reply(d.member(0), r)
	if d.printDMs(d.fran, d.femi) == 0 && d.printChannel(d.channelID) == 0 {
		d.missing("the facilitators were not told of the flag")
	}
}

func (d *demo) stepDuring() {
	if d.channelID == "" {
		d.note("(no session channel)")
		return
	}
	for range 12 {
		s, ok := d.session()
		if !ok || s.State != circles.SessionOpen || s.DueAt.IsZero() || !s.DueAt.Before(s.End) {
			break
		}
		d.advance(s.DueAt)
		d.printChannel(d.channelID)
		d.printf("\n")
	}
	c, _ := d.store.CircleByName(d.ctx, d.guild, circleName)
	s, _ := d.session()
	if len(c.Prompts) > 0 && s.PromptsPosted < len(c.Prompts) {
		d.missing(fmt.Sprintf("%d of %d prompts posted", s.PromptsPosted, len(c.Prompts)))
	}
	if !s.WarningSent {
		d.missing("no five-minute warning")
	}
}

func (d *demo) stepClose() {
	s, ok := d.session()
	if !ok || d.channelID == "" {
		d.note("(no open session)")
		return
	}
	d.advance(s.End)
	d.printf("\n")
	d.printChannel(d.channelID)
	s, _ = d.session()
	if s.State != circles.SessionClosed {
		d.missing("the session did not close")
		return
	}
	d.facts["closed"] = "closed"
	d.note("\nThe channel is kept for reading until the retention period ends:\n")
	d.accessTable(d.channelID, d.accessRows()[:8])
	if next, ok := d.firstSession(circles.SessionPlanned); ok {
		d.note("\nNext session planned: %s.", d.text(bot.ShortTimestamp(next.Start)))
	}
}

// firstSession is the sample circle's earliest session in state, if any.
func (d *demo) firstSession(state circles.SessionState) (circles.Session, bool) {
	c, err := d.store.CircleByName(d.ctx, d.guild, circleName)
	if err != nil {
		return circles.Session{}, false
	}
	list, err := d.store.Sessions(d.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{state}})
	if err != nil || len(list) == 0 {
		return circles.Session{}, false
	}
	return list[0], true
}

func (d *demo) stepRetention() {
	s, ok := d.session()
	if !ok || d.channelID == "" || s.State != circles.SessionClosed {
		d.note("(no closed session)")
		return
	}
	at := s.DeleteAt
	if at.IsZero() {
		at = s.End.Add(24 * time.Hour)
	}
	d.advance(at)
	if _, ok := d.sim.Channel(d.channelID); ok {
		d.missing("the channel was not deleted after retention")
		return
	}
	d.facts["deleted"] = "deleted after retention"
	d.note("%s no longer exists. What was written there is gone; circlebot kept only the session's times and IDs.", d.labels[d.channelID])
}

func (d *demo) stepLeave() {
	if d.circleName == "" {
		d.note("(no circle to leave)")
		return
	}
	leaver, waiting := d.member(2), d.member(4)
	before := len(d.sim.DMs(waiting))
	r := d.cmd(leaver, "leave", discordsim.O("circle", circleName))
	if r == nil {
		return
	}
	if _, ok := findButton(r.Buttons(), "leave", "", ""); ok {
		d.printf("\n")
		d.click(leaver, r, "leave", "", "verlassen") // Dev speaks German
	}
	d.waitFor(time.Second, func() bool { return len(d.sim.DMs(waiting)) > before })
	d.printf("\n")
	d.seenDMs[waiting] = before
	if d.printDMs(waiting) == 0 {
		d.missing("no DM to the promoted member")
	}
	if d.status(waiting) == circles.StatusActive {
		d.note("\n%s now has %s's seat.", d.name(waiting), d.name(leaver))
	}
}

func (d *demo) stepPrivacy() {
	x, ok := d.export(d.member(0))
	if ok && len(x.Consents) > 0 {
		b, _ := json.Marshal(x.Consents[0])
		d.note("Ben's consent, as the ledger records it:\n  %s", b)
	}
}
