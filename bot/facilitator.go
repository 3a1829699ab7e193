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

// Facilitator commands: /circle create|edit|guidelines|prompts|schedule|
// skip|open|close|roster|remove|archive. Every one is authorised here on the
// server side (the command's default permission only hides it): the
// facilitator role or Manage Server to create, and a circle's own
// facilitators or admins to change it.

// circleSubcommands take a "circle" option with autocomplete.
var circleSubcommands = []string{"edit", "guidelines", "prompts", "schedule", "skip", "open", "close", "roster", "remove", "archive", "round", "post"}

// facilitatorRoutes registers the handlers of this feature.
func (b *Bot) facilitatorRoutes() {
	b.router.Command("circle create", b.circleCreate)
	b.router.Command("circle edit", b.circleEdit)
	b.router.Command("circle guidelines", b.circleGuidelines)
	b.router.Command("circle prompts", b.circlePrompts)
	b.router.Command("circle schedule", b.circleSchedule)
	b.router.SlowCommand("circle skip", b.circleSkip)
	b.router.SlowCommand("circle open", b.circleOpen)
	b.router.SlowCommand("circle close", b.circleClose)
	b.router.Command("circle roster", b.circleRoster)
	b.router.SlowCommand("circle remove", b.circleRemove)
	b.router.Command("circle archive", b.circleArchive)
	for _, sub := range circleSubcommands {
		b.router.Autocomplete("circle "+sub, "circle", b.facilitatedCircleChoices)
	}
	b.router.Autocomplete("circle create", "timezone", timeZoneAutocomplete)
	b.router.Autocomplete("circle schedule", "timezone", timeZoneAutocomplete)
	b.router.Modal("guidelines", b.guidelinesSubmit)
	b.router.Modal("prompts", b.promptsSubmit)
	b.router.Component("archive", b.archiveButton)
	b.router.Component("schedule", b.scheduleButton)
	b.router.Autocomplete("circle skip", "session", b.skipChoices)
}

// facilitatedCircleChoices offers the circles the caller may change: the
// ones they facilitate, or all of them for admins.
func (b *Bot) facilitatedCircleChoices(ctx context.Context, r *Request) (*Response, error) {
	f := circles.CircleFilter{}
	if !isAdmin(r) {
		f.FacilitatedBy = r.UserID
	}
	return b.circleChoices(ctx, r, f)
}

func timeZoneAutocomplete(_ context.Context, r *Request) (*Response, error) {
	return &Response{Choices: zoneChoices(r.String(r.Focused))}, nil
}

// circleCreate: /circle create.
func (b *Bot) circleCreate(ctx context.Context, r *Request) (*Response, error) {
	if _, err := b.requireFacilitator(ctx, r); err != nil {
		return nil, err
	}
	base := circles.Rule{TimeZone: b.opts.Defaults.TimeZone, Duration: time.Duration(b.opts.Defaults.SessionMinutes) * time.Minute}
	rule, err := ruleFromOptions(r, base, true)
	if err != nil {
		return nil, err
	}
	rule = schedule.Anchored(rule, r.Now)
	c := circles.NewCircle(r.GuildID, r.String("name"), circles.Kind(r.String("kind")), rule, r.UserID, r.Now)
	c.Topic = r.String("topic")
	c.Capacity = b.opts.Defaults.Capacity
	if n, ok := r.Int("capacity"); ok {
		c.Capacity = n
	}
	if v, ok := r.Bool("listeners"); ok {
		c.ListenersAllowed = v
	}
	if v, ok := r.Bool("events"); ok && v {
		if err := b.requireEventsPermission(ctx, r.GuildID); err != nil {
			return nil, err
		}
		c.Events = true
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	// Frequency first: it is cheap, and spares a year's walk of a rule
	// that meets far too often.
	if err := schedule.CheckFrequency(c.Schedule, b.opts.Defaults.frequency(), r.Now); err != nil {
		return nil, err
	}
	if err := schedule.ValidateRule(c.Schedule, r.Now); err != nil {
		return nil, err
	}
	if err := b.store.CreateCircle(ctx, &c); err != nil {
		return nil, err
	}
	b.log.Info("circle created", "guild", c.GuildID, "circle", c.ID, "by", r.UserID)
	b.setCircleLang(ctx, r, c.ID, true)
	if _, err := b.sched.Plan(ctx, c.ID); err != nil {
		// The circle exists; Reconcile plans it at the next start.
		b.log.Error("planning a new circle", "guild", c.GuildID, "circle", c.ID, "err", err)
	}
	b.sched.Kick()
	if c.Events {
		b.syncCircleEvents(ctx, c.GuildID, c.ID)
	}

	e := &discordgo.MessageEmbed{
		Title:       truncate(r.T("create.ready_title", i18n.Args{"Circle": c.EscapedName()}), 256),
		Description: r.T("create.defaults_note") + "\n\n" + circles.NeutralizeFormatting(c.Guidelines.Text),
		Color:       embedColor,
		Fields: []*discordgo.MessageEmbedField{
			{Name: r.T("member.kind_field"), Value: r.T("choice.kind." + string(c.Kind)), Inline: true},
			{Name: r.T("create.seats_field"), Value: seatsText(r.Lang, c), Inline: true},
			{Name: r.T("create.schedule_field"), Value: describeRule(r.Lang, c.Schedule)},
			{Name: r.T("create.next_field"), Value: b.upcomingText(ctx, r.Lang, c)},
			{Name: r.T("create.steps_field"), Value: r.T("create.steps")},
		},
	}
	if c.Topic != "" {
		e.Fields = append([]*discordgo.MessageEmbedField{{Name: r.T("create.topic_field"), Value: circles.EscapeMarkdown(c.Topic)}}, e.Fields...)
	}
	if w := schedule.CronWarnings(c.Schedule); len(w) > 0 {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: r.T("schedule.warnings_field"), Value: truncate(strings.Join(cronWarningsText(r.Lang, w), "\n"), 1024)})
	}
	resp := &Response{Embeds: []*discordgo.MessageEmbed{e}}
	if c.Events {
		resp.Content = r.T("events.on_note")
	}
	return resp, nil
}

// embedColor is circlebot's calm blue.
const embedColor = 0x5B8DEF

func seatsText(lang i18n.Locale, c circles.Circle) string {
	s := lang.T("create.seats_speaking", i18n.Args{"Count": c.Capacity})
	if c.ListenersAllowed {
		return s + ", " + lang.T("create.seats_listening", i18n.Args{"Count": c.ListenerSeats()})
	}
	return s + ", " + lang.T("create.no_listeners")
}

// upcomingText lists the next three sessions as timestamps every reader
// sees in their own zone, with any daylight-saving note.
func (b *Bot) upcomingText(ctx context.Context, lang i18n.Locale, c circles.Circle) string {
	occ, err := b.sched.Upcoming(ctx, c, 3)
	if err != nil {
		b.log.Error("listing upcoming sessions", "guild", c.GuildID, "circle", c.ID, "err", err)
		return lang.T("rule.next_unknown")
	}
	if len(occ) == 0 {
		return lang.T("rule.none_planned")
	}
	return formatOccurrences(lang, occ)
}

func formatOccurrences(lang i18n.Locale, occ []schedule.Occurrence) string {
	var sb strings.Builder
	for _, o := range occ {
		fmt.Fprintf(&sb, "• %s\n", ShortTimestamp(o.Start))
		if o.Shift != "" {
			sb.WriteString("  " + lang.T("rule.shift", i18n.Args{"Shift": shiftText(lang, o.Shift)}) + "\n")
		}
	}
	return strings.TrimRight(sb.String(), "\n")
}

// scheduleOptionNames are the options of /circle create and /circle schedule
// that describe when a circle meets.
var scheduleOptionNames = []string{"weekday", "time", "timezone", "duration", "cron", "repeat"}

func hasScheduleOptions(r *Request) bool {
	for _, n := range scheduleOptionNames {
		if _, ok := r.Options[n]; ok {
			return true
		}
	}
	return false
}

// ruleFromOptions applies the schedule options to base. For a new circle
// (create) weekday+time or cron must be given; for a change, only what is
// given changes: a zone alone keeps the day and time, a cron spec replaces
// weekday+time and weekday or time replace a cron spec.
func ruleFromOptions(r *Request, base circles.Rule, create bool) (circles.Rule, error) {
	rule := base
	weekday, clock, spec := r.String("weekday"), r.String("time"), r.String("cron")
	_, hasWeekday := r.Options["weekday"]
	_, hasClock := r.Options["time"]
	_, hasCron := r.Options["cron"]
	repeat, hasRepeat := r.String("repeat"), r.Options["repeat"] != nil
	switch {
	case hasRepeat && hasCron:
		return rule, lerr(circles.EInvalid, "schedule.repeat_with_cron")
	case hasRepeat && !hasWeekday && !hasClock && (create || rule.Cron != ""):
		return rule, lerr(circles.EInvalid, "schedule.repeat_needs_weekday")
	}
	if hasRepeat {
		if err := applyRepeat(&rule, repeat); err != nil {
			return rule, err
		}
	}
	switch {
	case hasCron && (hasWeekday || hasClock):
		return rule, lerr(circles.EInvalid, "edit.weekday_or_cron")
	case hasCron:
		if spec == "" {
			return rule, lerr(circles.EInvalid, "edit.cron_empty")
		}
		rule.Cron = spec
		rule.EveryWeeks, rule.NthWeekday, rule.Anchor = 0, 0, ""
	case hasWeekday || hasClock:
		weekly := rule.Cron == "" && !create
		if (!hasWeekday || !hasClock) && !weekly {
			if !hasWeekday {
				return rule, lerr(circles.EInvalid, "edit.need_weekday", i18n.Args{"Time": clock})
			}
			return rule, lerr(circles.EInvalid, "edit.need_time", i18n.Args{"Weekday": weekday})
		}
		rule.Cron = ""
		if hasWeekday {
			d, err := circles.ParseWeekday(weekday)
			if err != nil {
				return rule, err
			}
			rule.Weekday = d
		}
		if hasClock {
			h, m, err := circles.ParseClock(clock)
			if err != nil {
				return rule, err
			}
			rule.Hour, rule.Minute = h, m
		}
	case create:
		return rule, lerr(circles.EInvalid, "edit.need_when")
	}
	if _, ok := r.Options["timezone"]; ok {
		zone := r.String("timezone")
		if err := circles.ValidateTimeZone(zone); err != nil {
			return rule, err
		}
		rule.TimeZone = zone
	}
	if n, ok := r.Int("duration"); ok {
		rule.Duration = time.Duration(n) * time.Minute
	}
	return rule, nil
}

// circleEdit: /circle edit.
func (b *Bot) circleEdit(ctx context.Context, r *Request) (*Response, error) {
	c, g, err := b.requireCircleFacilitator(ctx, r, "circle")
	if err != nil {
		return nil, err
	}
	if err := c.Editable(); err != nil {
		return nil, err
	}
	add, remove := r.Snowflake("add_facilitator"), r.Snowflake("remove_facilitator")
	given := false
	for name := range r.Options {
		if name != "circle" && name != "language" {
			given = true
		}
	}
	if b.setCircleLang(ctx, r, c.ID, false) && !given {
		lang := b.circleLang(ctx, c.ID)
		return &Response{Content: r.T("facilitator.language_set", i18n.Args{"Circle": c.EscapedName(), "Language": lang.Name()})}, nil
	}
	if !given {
		return nil, lerr(circles.EInvalid, "edit.nothing")
	}
	if v, ok := r.Bool("events"); ok && v && !c.Events {
		if err := b.requireEventsPermission(ctx, r.GuildID); err != nil {
			return nil, err
		}
	}
	if add != "" && add == remove {
		return nil, lerr(circles.EInvalid, "edit.same_person")
	}
	if add != "" {
		if add == b.botUserID {
			return nil, lerr(circles.EInvalid, "edit.not_the_bot")
		}
		if err := b.canFacilitate(ctx, r, g, add); err != nil {
			return nil, err
		}
	}

	var changes []string
	updated, promoted, err := b.store.UpdateCircle(ctx, r.GuildID, c.ID, func(c *circles.Circle) error {
		if err := c.Editable(); err != nil {
			return err // archived meanwhile
		}
		changes = changes[:0]
		if _, ok := r.Options["name"]; ok {
			name := r.String("name")
			if err := circles.ValidateName(name); err != nil {
				return err
			}
			c.Name = circles.NormalizeName(name)
			changes = append(changes, r.T("edit.name", i18n.Args{"Name": c.EscapedName()}))
		}
		if _, ok := r.Options["kind"]; ok {
			c.Kind = circles.Kind(r.String("kind"))
			changes = append(changes, r.T("edit.kind", i18n.Args{"Kind": r.T("choice.kind." + string(c.Kind))}))
		}
		if _, ok := r.Options["topic"]; ok {
			c.Topic = r.String("topic")
			changes = append(changes, r.T("edit.topic"))
		}
		if n, ok := r.Int("capacity"); ok {
			c.Capacity = n
			changes = append(changes, r.T("edit.capacity", i18n.Args{"Count": n}))
		}
		if v, ok := r.Bool("listeners"); ok {
			c.ListenersAllowed = v
			changes = append(changes, onOff(v, r.T("edit.listeners_on"), r.T("edit.listeners_off")))
		}
		if n, ok := r.Int("listener_seats"); ok {
			c.ListenerCap = n
			changes = append(changes, r.T("edit.listener_seats", i18n.Args{"Count": n}))
		}
		if add != "" {
			if c.IsFacilitator(add) {
				return lerr(circles.EConflict, "edit.already_facilitates", i18n.Args{"User": add, "Circle": c.EscapedName()})
			}
			if len(c.Facilitators) >= circles.MaxFacilitators {
				return lerr(circles.EConflict, "edit.too_many_facilitators", i18n.Args{"Circle": c.EscapedName(), "Max": circles.MaxFacilitators})
			}
			c.Facilitators = append(c.Facilitators, add)
			changes = append(changes, r.T("edit.added", i18n.Args{"User": add}))
		}
		if remove != "" {
			if !c.IsFacilitator(remove) {
				return lerr(circles.EInvalid, "edit.not_facilitating", i18n.Args{"User": remove, "Circle": c.EscapedName()})
			}
			if len(c.Facilitators) == 1 {
				return lerr(circles.EConflict, "edit.only_facilitator", i18n.Args{"User": remove, "Circle": c.EscapedName()})
			}
			kept := c.Facilitators[:0]
			for _, f := range c.Facilitators {
				if f != remove {
					kept = append(kept, f)
				}
			}
			c.Facilitators = kept
			changes = append(changes, r.T("edit.removed", i18n.Args{"User": remove}))
		}
		if v, ok := r.Bool("facilitator_gate"); ok {
			c.FacilitatorGate = v
			changes = append(changes, onOff(v, r.T("edit.gate_on"), r.T("edit.gate_off")))
		}
		if v, ok := r.Bool("postpone_without_facilitator"); ok {
			c.PostponeWithoutFacilitator = v
			changes = append(changes, onOff(v, r.T("edit.postpone_on"), r.T("edit.postpone_off")))
		}
		if v, ok := r.Bool("events"); ok {
			c.Events = v
			changes = append(changes, onOff(v, r.T("events.on_note"), r.T("events.off_note")))
		}
		return c.Validate()
	})
	if err != nil {
		return nil, err
	}
	b.log.Info("circle edited", "guild", r.GuildID, "circle", c.ID, "by", r.UserID, "changes", len(changes))
	b.afterCircleUpdate(ctx, updated, promoted, add != "" || remove != "")
	if updated.Events || c.Events {
		b.syncCircleEvents(ctx, updated.GuildID, updated.ID) // opted in or out, or renamed
	}
	if len(promoted) > 0 {
		changes = append(changes, r.T("edit.promoted", i18n.Args{"Users": mentionList(userIDs(promoted))}))
	}
	return &Response{Content: r.T("edit.saved", i18n.Args{"Circle": updated.EscapedName(), "Changes": strings.Join(changes, "\n• ")})}, nil
}

func userIDs(ms []circles.Membership) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.UserID
	}
	return out
}

func onOff(v bool, on, off string) string {
	if v {
		return on
	}
	return off
}
