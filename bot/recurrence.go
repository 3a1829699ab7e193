package bot

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
	"github.com/circlebot/circlebot/schedule"
)

// Schedules that match real groups: the repeat option (every few weeks,
// the nth weekday of the month), the confirm step every schedule change
// goes through, and the choice of which session /circle skip skips.

// repeatOption is the "repeat" option of /circle create and /circle schedule.
func repeatOption() *discordgo.ApplicationCommandOption {
	choices := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(repeatValues))
	for _, v := range repeatValues {
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: i18n.T(i18n.English, "choice.repeat."+v), Value: v})
	}
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "repeat", Description: i18n.T(i18n.English, "opt.repeat"), Choices: choices}
}

// eventsOption is the "events" option of /circle create and /circle edit.
func eventsOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "events", Description: i18n.T(i18n.English, "opt.events")}
}

// skipSessionOption is /circle skip's "session" option.
func skipSessionOption() *discordgo.ApplicationCommandOption {
	return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: "session", Description: i18n.T(i18n.English, "cmd.circle.skip.session"), Autocomplete: true, MaxLength: 20}
}

// applyRepeat sets the rule's shape from a repeat choice.
func applyRepeat(rule *circles.Rule, v string) error {
	rule.EveryWeeks, rule.NthWeekday = 0, 0
	switch v {
	case "weekly":
	case "2w", "3w", "4w":
		rule.EveryWeeks = int(v[0] - '0')
	case "m1", "m2", "m3", "m4":
		rule.NthWeekday = int(v[1] - '0')
	case "mlast":
		rule.NthWeekday = circles.LastWeekday
	default:
		return lerr(circles.EInvalid, "schedule.repeat_unknown", i18n.Args{"Value": circles.EscapeMarkdown(v)})
	}
	return nil
}

// proposalTTL is how long a proposed schedule change can be saved: as
// long as the interaction's token lets the bot edit the reply.
const proposalTTL = 15 * time.Minute

// proposal is a schedule change shown with its next sessions, waiting for
// Save. It is kept in memory only: it holds nothing the store needs, and
// a restart just asks the facilitator to run the command again.
type proposal struct {
	guildID, userID string
	circleID        int64
	from, to        circles.Rule
	expires         time.Time
}

// proposals are the schedule changes waiting for Save, by a random id.
type proposals struct {
	mu sync.Mutex
	m  map[int64]proposal
}

func (p *proposals) add(x proposal, now time.Time) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[int64]proposal{}
	}
	for id, old := range p.m {
		if now.After(old.expires) {
			delete(p.m, id)
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := int64(binary.BigEndian.Uint64(b[:])>>12) + 1 // positive, short in base 36
	p.m[id] = x
	return id
}

// take removes and returns a live proposal.
func (p *proposals) take(id int64, now time.Time) (proposal, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	x, ok := p.m[id]
	delete(p.m, id)
	return x, ok && !now.After(x.expires)
}

// proposeSchedule answers /circle schedule with changes: the new rule, the
// first three sessions under it and any warning, with Save and Cancel.
// The store is unchanged until Save.
func (b *Bot) proposeSchedule(c circles.Circle, rule circles.Rule, r *Request) (*Response, error) {
	occ, err := schedule.NextN(rule, r.Now, 3)
	if err != nil {
		return nil, err
	}
	e := &discordgo.MessageEmbed{
		Title: truncate(r.T("schedule.confirm_title", i18n.Args{"Circle": c.EscapedName()}), 256),
		Color: embedColor,
		Fields: []*discordgo.MessageEmbedField{
			{Name: r.T("schedule.now_field"), Value: describeRule(r.Lang, c.Schedule)},
			{Name: r.T("schedule.new_field"), Value: describeRule(r.Lang, rule)},
			{Name: r.T("schedule.next_field"), Value: formatOccurrences(r.Lang, occ)},
		},
		Footer: &discordgo.MessageEmbedFooter{Text: r.T("schedule.confirm_footer")},
	}
	if w := schedule.CronWarnings(rule); len(w) > 0 {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: r.T("schedule.warnings_field"), Value: truncate(strings.Join(cronWarningsText(r.Lang, w), "\n"), 1024)})
	}
	id := b.proposals.add(proposal{guildID: r.GuildID, userID: r.UserID, circleID: c.ID, from: c.Schedule, to: rule, expires: r.Now.Add(proposalTTL)}, r.Now)
	save := CustomID{Action: "schedule", GuildID: r.GuildID, CircleID: c.ID, SessionID: id, UserID: r.UserID, Arg: "save"}
	cancel := save
	cancel.Arg = "cancel"
	return &Response{
		Embeds: []*discordgo.MessageEmbed{e},
		Components: []discordgo.MessageComponent{Row(
			Button(r.T("schedule.save_button"), discordgo.PrimaryButton, save),
			Button(r.T("member.cancel_button"), discordgo.SecondaryButton, cancel),
		)},
	}, nil
}

// scheduleButton saves or drops a proposed schedule change.
func (b *Bot) scheduleButton(ctx context.Context, r *Request) (*Response, error) {
	if err := checkButtonOwner(r); err != nil {
		return nil, err
	}
	switch r.CustomID.Arg {
	case "cancel":
		b.proposals.take(r.CustomID.SessionID, r.Now)
		return &Response{Content: r.T("schedule.unchanged"), Update: true, Embeds: []*discordgo.MessageEmbed{}, Components: []discordgo.MessageComponent{}}, nil
	case "save":
	default:
		return nil, errBadCustomID
	}
	c, err := b.reauthoriseModal(ctx, r)
	if err != nil {
		return nil, err
	}
	p, ok := b.proposals.take(r.CustomID.SessionID, r.Now)
	if !ok || p.guildID != r.GuildID || p.userID != r.UserID || p.circleID != c.ID {
		return nil, lerr(circles.EConflict, "schedule.proposal_stale")
	}
	if c.Schedule != p.from {
		return nil, lerr(circles.EConflict, "schedule.changed_since", i18n.Args{"Circle": c.EscapedName()})
	}
	// The rule was checked when proposed; time has passed, so check again.
	if err := schedule.ValidateRule(p.to, r.Now); err != nil {
		return nil, err
	}
	updated, promoted, err := b.store.UpdateCircle(ctx, r.GuildID, c.ID, func(cur *circles.Circle) error {
		if cur.Schedule != p.from {
			return lerr(circles.EConflict, "schedule.changed_since", i18n.Args{"Circle": cur.EscapedName()})
		}
		cur.Schedule = p.to
		return nil
	})
	if err != nil {
		return nil, err
	}
	resp := b.scheduleSaved(ctx, r, updated, promoted)
	resp.Update = true
	resp.Components = []discordgo.MessageComponent{}
	return resp, nil
}

// skipChoices offers the circle's next sessions for /circle skip session:.
func (b *Bot) skipChoices(ctx context.Context, r *Request) (*Response, error) {
	none := &Response{Choices: []*discordgo.ApplicationCommandOptionChoice{}}
	c, err := b.resolveCircle(ctx, r.GuildID, r.String("circle"))
	if err != nil {
		return none, nil
	}
	if !c.IsFacilitator(r.UserID) && !isAdmin(r) {
		return none, nil
	}
	occ, err := b.sched.Upcoming(ctx, c, 10)
	if err != nil {
		return none, nil
	}
	loc := c.Schedule.Location()
	out := make([]*discordgo.ApplicationCommandOptionChoice, 0, len(occ))
	for i, o := range occ {
		out = append(out, &discordgo.ApplicationCommandOptionChoice{
			Name:  truncate(skipChoiceName(r.Lang, whenText(r.Lang, o.Start.In(loc)), c.Schedule.TimeZone, i), 100),
			Value: strconv.FormatInt(o.Start.Unix(), 10),
		})
	}
	return &Response{Choices: out}, nil
}

// skipTarget reads /circle skip's session option: the start of one of the
// circle's upcoming sessions, checked against them (the value is the
// client's). The zero time means the next one.
func (b *Bot) skipTarget(ctx context.Context, r *Request, c circles.Circle) (time.Time, error) {
	v := r.String("session")
	if v == "" {
		return time.Time{}, nil
	}
	unix, err := strconv.ParseInt(v, 10, 64)
	if err == nil {
		occ, uerr := b.sched.Upcoming(ctx, c, 10)
		if uerr != nil {
			return time.Time{}, uerr
		}
		for _, o := range occ {
			if o.Start.Unix() == unix {
				return o.Start, nil
			}
		}
	}
	return time.Time{}, lerr(circles.EInvalid, "schedule.skip_not_upcoming", i18n.Args{"Circle": c.EscapedName()})
}
