package bot_test

import (
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// /mycircles → Add to calendar: a private .ics that parses back, with one
// VEVENT per circle, its RRULE (interval, nth weekday), TZID and a
// VTIMEZONE for it, skipped dates as EXDATE, and a cron spec RRULE can't
// say as RDATEs; nobody else's data in it.
func TestAddToCalendar(t *testing.T) {
	t.Parallel()
	O := discordsim.O
	h := newHarness(t)
	h.facSetup()
	h.facCreate(h.fac, "Fortnightly", O("weekday", "Tuesday"), O("time", "19:00"), O("repeat", "2w"), O("timezone", "Europe/Berlin"), O("topic", "Carers meeting"))
	h.facCreate(h.fac, "Last Friday", O("weekday", "Friday"), O("time", "18:30"), O("repeat", "mlast"), O("timezone", "America/New_York"))
	h.facCreate(h.fac, "First Tuesday cron", O("cron", "0 19 1-7 * 2"), O("timezone", "Europe/Berlin"))
	var ids []int64
	for _, name := range []string{"Fortnightly", "Last Friday", "First Tuesday cron"} {
		c := h.circle(name)
		ids = append(ids, c.ID)
		h.facJoin(h.members[0], c, circles.ModeMember)
	}
	h.facJoin(h.members[1], h.circle("Fortnightly"), circles.ModeMember)
	skipped := h.run(h.fac, "circle skip", O("circle", "Fortnightly"))
	wantContains(t, skipped.Content, "Skipped")

	r := h.run(h.members[0], "mycircles")
	got := h.clickOn(h.members[0], r, "calendar", "")
	if !got.Ephemeral || len(got.Attachments) != 1 || !strings.HasSuffix(got.Attachments[0].Name, ".ics") {
		t.Fatalf("calendar answer %+v", got)
	}
	data := string(got.Attachments[0].Data)
	cal, err := ics.ParseCalendar(strings.NewReader(data))
	if err != nil {
		t.Fatalf("the file doesn't parse: %v\n%s", err, data)
	}
	events := cal.Events()
	if len(events) != 3 {
		t.Fatalf("%d VEVENTs, want one per circle:\n%s", len(events), data)
	}
	prop := func(e *ics.VEvent, p ics.ComponentProperty) string {
		if x := e.GetProperty(p); x != nil {
			return x.Value
		}
		return ""
	}
	byName := map[string]*ics.VEvent{}
	for _, e := range events {
		byName[prop(e, ics.ComponentPropertySummary)] = e
	}
	fn := byName["Fortnightly"]
	if fn == nil || prop(fn, ics.ComponentPropertyRrule) != "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU" {
		t.Fatalf("fortnightly event:\n%s", data)
	}
	start, err := fn.GetStartAt()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if err != nil || !start.Equal(time.Date(2026, 12, 1, 19, 0, 0, 0, berlin)) {
		t.Fatalf("DTSTART %v (%v):\n%s", start, err, data)
	}
	if tz := fn.GetProperty(ics.ComponentPropertyDtStart).ICalParameters["TZID"]; len(tz) != 1 || tz[0] != "Europe/Berlin" {
		t.Fatalf("TZID %v", tz)
	}
	if ex := prop(fn, ics.ComponentPropertyExdate); ex != "20261201T190000" {
		t.Fatalf("EXDATE %q, want the skipped 1 Dec:\n%s", ex, data)
	}
	if rr := prop(byName["Last Friday"], ics.ComponentPropertyRrule); rr != "FREQ=MONTHLY;BYDAY=-1FR" {
		t.Fatalf("last Friday RRULE %q", rr)
	}
	cron := byName["First Tuesday cron"]
	if prop(cron, ics.ComponentPropertyRrule) != "" || strings.Count(prop(cron, ics.ComponentPropertyRdate), ",") < 5 {
		t.Fatalf("cron event should list RDATEs:\n%s", data)
	}
	if len(cal.Timezones()) != 2 || !strings.Contains(data, "BEGIN:DAYLIGHT") || !strings.Contains(data, "TZOFFSETTO:+0200") {
		t.Fatalf("VTIMEZONEs:\n%s", data)
	}
	for _, leak := range []string{h.members[0], h.members[1], h.fac, h.guild} {
		if strings.Contains(data, leak) {
			t.Fatalf("the file names %s", leak)
		}
	}
	// Someone else can't get it with this button.
	if _, err := h.sim.Click(h.ctx, h.members[1], got.ChannelID, r.MessageID, r.Buttons()[len(r.Buttons())-1].CustomID); err == nil {
		t.Fatal("another member clicked someone's ephemeral button")
	}
}
