package demo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
)

const manageChannels = discordgo.PermissionManageChannels

// Gutters: what a user does starts at the margin; the bot's answer is
// indented under it.
const (
	botGutter = "    │ "
)

// circleCmd runs /circle sub for the sample circle.
func (d *demo) circleCmd(user, sub string, opts ...discordsim.Opt) *discordsim.Response {
	return d.cmd(user, "circle "+sub, append([]discordsim.Opt{discordsim.O("circle", circleName)}, opts...)...)
}

// cmd runs a slash command as user in #general, prints it and the answer.
// It returns nil when the bot gave no answer (the failure is printed).
func (d *demo) cmd(user, path string, opts ...discordsim.Opt) *discordsim.Response {
	d.printf("%s ▸ /%s%s\n", d.name(user), path, d.optString(opts))
	r, err := d.sim.RunCommand(d.ctx, user, d.guild, path, opts...)
	if err != nil {
		d.printf("    ✗ %v\n", err)
		return nil
	}
	d.answered++
	d.reply(user, r)
	return r
}

func (d *demo) optString(opts []discordsim.Opt) string {
	var b strings.Builder
	for _, o := range opts {
		fmt.Fprintf(&b, " %s:%s", o.Name, d.optValue(o.Value))
	}
	return b.String()
}

func (d *demo) optValue(v any) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprint(v)
	}
	if l, ok := d.labels[s]; ok {
		return l
	}
	if strings.ContainsAny(s, " \n") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// reply prints the bot's answer to an interaction.
func (d *demo) reply(user string, r *discordsim.Response) {
	who := "(only " + d.name(user) + " sees this)"
	switch r.Type {
	case 9: // modal
		if r.Modal == nil {
			d.printf("  circlebot ▸ opens a form\n")
			return
		}
		d.printf("  circlebot ▸ opens a form “%s” (only %s sees it)\n", d.text(r.Modal.Title), d.name(user))
		for _, in := range r.Modal.Inputs {
			kind := "one line"
			if in.Style == 2 {
				kind = "paragraph"
			}
			line := fmt.Sprintf("%s  [%s, up to %d characters]", in.Label, kind, in.MaxLength)
			if in.Value != "" {
				line += "\n  filled in: " + firstLine(in.Value)
			}
			d.block(botGutter, line)
		}
		return
	case 8:
		d.printf("  circlebot ▸ suggests %d choices\n", len(r.Choices))
		return
	case 6, 7:
		d.printf("  circlebot ▸ updates the message %s\n", who)
	default:
		if !r.Ephemeral {
			who = "(everyone in the channel sees this)"
		}
		d.printf("  circlebot ▸ %s\n", who)
	}
	d.message(botGutter, r.Content, r.Embeds, r.Components, r.Attachments)
	for _, f := range r.Followups {
		d.printf("  circlebot ▸ follows up\n")
		d.message(botGutter, f.Content, f.Embeds, f.Components, f.Attachments)
	}
}

func firstLine(s string) string {
	line, rest, _ := strings.Cut(s, "\n")
	if rest != "" {
		line += " …"
	}
	return line
}

// findButton finds a button by custom_id action, (optional) argument and
// (optional) part of its label: "Going · #2" tells the second session's
// Going button from the first's.
func findButton(buttons []discordsim.Button, action, arg, label string) (discordsim.Button, bool) {
	for _, b := range buttons {
		id, err := bot.DecodeCustomID(b.CustomID)
		if err == nil && id.Action == action && (arg == "" || id.Arg == arg) && strings.Contains(b.Label, label) {
			return b, true
		}
	}
	return discordsim.Button{}, false
}

// click presses the button with the given action/arg on an interaction
// answer. want is (part of) the label a user would look for, printed when
// the button is missing.
func (d *demo) click(user string, r *discordsim.Response, action, arg, want string) *discordsim.Response {
	if r == nil {
		return nil
	}
	return d.clickOn(user, r.ChannelID, r.MessageID, r.Buttons(), action, arg, want)
}

func (d *demo) clickOn(user, channelID, messageID string, buttons []discordsim.Button, action, arg, want string) *discordsim.Response {
	b, ok := findButton(buttons, action, arg, want)
	if !ok {
		d.printf("%s ▸ looks for [%s]\n", d.name(user), want)
		d.missing("no [" + want + "] button")
		return nil
	}
	d.printf("%s ▸ clicks [%s]\n", d.name(user), d.text(b.Label))
	resp, err := d.sim.Click(d.ctx, user, channelID, messageID, b.CustomID)
	if err != nil {
		d.printf("    ✗ %v\n", err)
		return nil
	}
	d.answered++
	d.reply(user, resp)
	return resp
}

// submit fills in and submits the modal an answer opened.
func (d *demo) submit(user string, r *discordsim.Response, fill func(discordsim.TextInput) (string, bool)) *discordsim.Response {
	if r == nil || r.Modal == nil {
		d.missing("no form opened")
		return nil
	}
	fields := map[string]string{}
	for _, in := range r.Modal.Inputs {
		if v, ok := fill(in); ok {
			fields[in.CustomID] = v
		}
	}
	d.printf("%s ▸ fills in the form and submits it:\n", d.name(user))
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d.block("    ✎ ", fields[k])
	}
	resp, err := d.sim.SubmitModal(d.ctx, user, d.guild, r.ChannelID, r.Modal.CustomID, fields)
	if err != nil {
		d.printf("    ✗ %v\n", err)
		return nil
	}
	d.answered++
	d.reply(user, resp)
	return resp
}

// printDMs prints the DMs the bot sent the users since the last call and
// returns how many there were.
func (d *demo) printDMs(users ...string) int {
	n := 0
	for _, u := range users {
		dms := d.sim.DMs(u)
		for _, m := range dms[min(d.seenDMs[u], len(dms)):] {
			d.printf("  circlebot ▸ DM to %s\n", d.name(u))
			d.message(botGutter, m.Content, m.Embeds, m.Components, m.Attachments)
			n++
		}
		d.seenDMs[u] = len(dms)
	}
	return n
}

// printDMsLike prints first's new DMs in full and, of the others, only who
// got one: for a notice sent to many.
func (d *demo) printDMsLike(first string, others ...string) int {
	n := d.printDMs(first)
	var got []string
	for _, u := range others {
		if k := len(d.sim.DMs(u)); k > d.seenDMs[u] {
			got = append(got, d.name(u))
			n += k - d.seenDMs[u]
			d.seenDMs[u] = k
		}
	}
	if len(got) > 0 {
		d.printf("  circlebot ▸ a DM like it to %s\n", joinNames(got))
	}
	return n
}

// joinNames lists names as "A", "A and B", "A, B and C".
func joinNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// briefly runs fn with the bot's messages shortened to their first line
// and buttons, for answers the walkthrough has shown in full before.
func (d *demo) briefly(fn func()) {
	d.brief = true
	defer func() { d.brief = false }()
	fn()
}

// printChannel prints the channel's messages since the last call.
func (d *demo) printChannel(channelID string) int {
	msgs := d.sim.Messages(channelID)
	name := "#channel"
	if ch, ok := d.sim.Channel(channelID); ok {
		name = "#" + ch.Name
	}
	n := 0
	for _, m := range msgs[min(d.seenMsgs[channelID], len(msgs)):] {
		pin := ""
		if m.Pinned {
			pin = " 📌 pinned"
		}
		d.printf("  %s ▸ in %s%s\n", d.name(m.AuthorID), name, pin)
		d.message(botGutter, m.Content, m.Embeds, m.Components, m.Attachments)
		n++
	}
	d.seenMsgs[channelID] = len(msgs)
	return n
}

// advance moves the clock and lets the scheduler do what is due.
func (d *demo) advance(to time.Time) int {
	d.clock.Set(to)
	n, err := d.bot.Scheduler().RunDue(d.ctx)
	d.printf("⏩ The clock moves to %s; the scheduler does %d %s.\n",
		to.In(d.loc).Format("Mon 2 Jan 15:04 MST"), n, plural(n, "step", "steps"))
	if err != nil {
		d.printf("    ✗ %v\n", err)
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// accessTable prints who can see and write in a channel, as Discord
// computes it from the channel's permission overwrites.
func (d *demo) accessTable(channelID string, rows []accessRow) {
	d.printf("    %-7s %-34s %-9s %s\n", "who", "in the circle", "can see", "can write")
	for _, r := range rows {
		d.printf("    %-7s %-34s %-9s %s\n", d.name(r.user), r.role, yes(d.sim.CanView(r.user, channelID)), yes(d.sim.CanSend(r.user, channelID)))
	}
}

type accessRow struct {
	user, role string
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// waitFor waits up to max for an asynchronous effect (a DM sent from a
// gateway event handler, say).
func (d *demo) waitFor(max time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(d.ctx, max)
	defer cancel()
	return d.sim.WaitFor(ctx, cond) == nil
}
