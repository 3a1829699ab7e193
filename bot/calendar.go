package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
	"github.com/circlebot/circlebot/schedule"
)

// "Add to calendar" in /mycircles: an ephemeral .ics file (RFC 5545) with
// one VEVENT per circle of the member's — a recurrence rule in the
// circle's zone, skipped dates as EXDATE — that a phone's calendar
// imports. Only what the member sees in /mycircles goes in: the circle's
// name, topic and times; no other member, no channel.

const actionCalendar = "calendar"

// calendarRDates is how many dates a schedule without an RRULE form (a
// cron spec like "0 19 1-7 * 2") lists one by one.
const calendarRDates = 12

// icalLocal is RFC 5545's local DATE-TIME form, used with TZID.
const icalLocal = "20060102T150405"

func (b *Bot) calendarRoutes() {
	b.router.Component(actionCalendar, b.calendarButton)
}

// calendarRow is /mycircles' row with the Add to calendar button.
func calendarRow(lang i18n.Locale, guildID, userID string) discordgo.ActionsRow {
	return Row(Button(lang.T("calendar.add_button"), discordgo.SecondaryButton, CustomID{Action: actionCalendar, GuildID: guildID, UserID: userID}))
}

// calendarButton answers Add to calendar with the file, privately.
func (b *Bot) calendarButton(ctx context.Context, r *Request) (*Response, error) {
	if err := checkButtonOwner(r); err != nil {
		return nil, err
	}
	if err := requireGuild(r); err != nil {
		return nil, err
	}
	list, err := b.store.UserCircles(ctx, r.GuildID, r.UserID)
	if err != nil {
		return nil, err
	}
	var cs []circles.Circle
	for _, uc := range list {
		if uc.Membership.Status == circles.StatusActive {
			cs = append(cs, uc.Circle)
		}
	}
	if len(cs) == 0 {
		return &Response{Content: r.T("calendar.empty")}, nil
	}
	data, err := b.calendarFile(ctx, r.Lang, cs, r.Now)
	if err != nil {
		return nil, err
	}
	return &Response{
		Content: r.T("calendar.ready", i18n.Args{"Count": len(cs)}),
		Files:   []*discordgo.File{{Name: "circlebot.ics", ContentType: "text/calendar; charset=utf-8", Reader: strings.NewReader(data)}},
	}, nil
}

// calendarFile renders the circles as an iCalendar file.
func (b *Bot) calendarFile(ctx context.Context, lang i18n.Locale, cs []circles.Circle, now time.Time) (string, error) {
	cal := ics.NewCalendarFor("circlebot")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(lang.T("calendar.name"))
	zones := map[string]bool{}
	for _, c := range cs {
		if err := b.calendarEvent(ctx, lang, cal, c, now); err != nil {
			return "", err
		}
		if !zones[c.Schedule.TimeZone] {
			zones[c.Schedule.TimeZone] = true
			addTimezone(cal, c.Schedule.TimeZone, c.Schedule.Location(), now)
		}
	}
	return cal.Serialize(), nil
}

// calendarEvent adds one circle: DTSTART at its next occurrence, its
// recurrence as an RRULE (or, for a cron spec RRULE can't say, its next
// dates as RDATEs), skipped dates as EXDATE.
func (b *Bot) calendarEvent(ctx context.Context, lang i18n.Locale, cal *ics.Calendar, c circles.Circle, now time.Time) error {
	rule, loc, zone := c.Schedule, c.Schedule.Location(), c.Schedule.TimeZone
	occ, err := schedule.NextN(rule, now, calendarRDates)
	if err != nil || len(occ) == 0 {
		return err
	}
	local := func(t time.Time) string { return t.In(loc).Format(icalLocal) }
	e := cal.AddEvent(fmt.Sprintf("circle-%d@circlebot", c.ID))
	e.SetDtStampTime(now)
	e.SetSummary(c.Name)
	desc := msgCalendarDescription(lang, c)
	e.SetProperty(ics.ComponentPropertyDtStart, local(occ[0].Start), ics.WithTZID(zone))
	e.SetProperty(ics.ComponentPropertyDtEnd, local(occ[0].Start.Add(rule.Duration)), ics.WithTZID(zone))
	if rr, ok := schedule.RRule(rule); ok {
		e.AddRrule(rr)
	} else {
		dates := make([]string, 0, len(occ)-1)
		for _, o := range occ[1:] {
			dates = append(dates, local(o.Start))
		}
		if len(dates) > 0 {
			e.AddRdate(strings.Join(dates, ","), ics.WithTZID(zone))
		}
		desc += "\n\n" + lang.T("calendar.rdates", i18n.Args{"Count": len(occ)})
	}
	e.SetDescription(desc)
	e.SetLocation(eventLocation(lang))
	skipped, err := b.store.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionSkipped}, From: now})
	if err != nil {
		return err
	}
	for _, s := range skipped {
		e.AddExdate(local(s.Start), ics.WithTZID(zone))
	}
	return nil
}

// addTimezone describes zone as a VTIMEZONE, which RFC 5545 asks for each
// TZID used: its clock changes over the coming year as yearly rules (the
// nth or last weekday of the month), or one fixed offset.
func addTimezone(cal *ics.Calendar, zone string, loc *time.Location, now time.Time) {
	tz := cal.AddTimezone(zone)
	var changes []time.Time
	for t := now.In(loc); len(changes) < 2; {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.After(now.AddDate(1, 0, 0)) {
			break
		}
		changes = append(changes, end)
		t = end.In(loc)
	}
	if len(changes) == 0 {
		_, off := now.In(loc).Zone()
		std := tz.AddStandard()
		std.SetProperty(ics.ComponentPropertyDtStart, "19700101T000000")
		std.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), icalOffset(off))
		std.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), icalOffset(off))
		return
	}
	for _, at := range changes {
		name, to := at.In(loc).Zone()
		_, from := at.Add(-time.Second).In(loc).Zone()
		var part *ics.ComponentBase
		if to > from {
			d := &ics.Daylight{}
			tz.Components = append(tz.Components, d)
			part = &d.ComponentBase
		} else {
			part = &tz.AddStandard().ComponentBase
		}
		wall := at.In(time.FixedZone("", from)) // the clock's time before the change
		n := (wall.Day()-1)/7 + 1
		if wall.AddDate(0, 0, 7).Month() != wall.Month() {
			n = -1
		}
		part.SetProperty(ics.ComponentPropertyDtStart, wall.AddDate(-1, 0, 0).Format(icalLocal))
		part.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), icalOffset(from))
		part.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), icalOffset(to))
		part.SetProperty(ics.ComponentProperty("TZNAME"), name)
		part.AddRrule("FREQ=YEARLY;BYMONTH=" + strconv.Itoa(int(wall.Month())) + ";BYDAY=" + strconv.Itoa(n) + icalWeekday(wall.Weekday()))
	}
}

func icalWeekday(d time.Weekday) string { return strings.ToUpper(d.String()[:2]) }

// icalOffset writes a UTC offset in seconds as RFC 5545's +HHMM.
func icalOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec/60%60)
}
