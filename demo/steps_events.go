package demo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// A second circle that meets every other week and shows its sessions in
// the server's Events tab (docs/EVENTS.md), and a member's calendar file.

// carersCircle is the fortnightly circle of stepEvents.
const carersCircle = "Carers circle"

func (d *demo) stepEvents() {
	O := discordsim.O
	d.cmd(d.fran, "circle create", O("name", carersCircle), O("kind", "peer"), O("topic", "For people caring for someone"),
		O("weekday", "Thursday"), O("time", "20:00"), O("timezone", zone), O("events", true))
	d.printf("\n")
	// Every other week from tonight: the change shows its next three
	// sessions and is saved with a click.
	d.click(d.fran, d.cmd(d.fran, "circle schedule", O("circle", carersCircle), O("repeat", "2w")), "schedule", "save", "Save schedule")
	d.printf("\n")
	d.eventsTab()
	if n := len(d.carersEvents(discordsim.EventScheduled)); n != 3 {
		d.missing(fmt.Sprintf("the Events tab shows %d sessions of %s, not 3", n, carersCircle))
	}

	chloe := d.member(1)
	d.printf("\n")
	d.briefly(func() {
		if r := d.cmd(chloe, "join", O("circle", carersCircle)); r != nil {
			d.click(chloe, r, "join", "member", "I agree — join")
		}
	})
	// Skipping the second session cancels its event; it becomes an
	// EXDATE in calendar files.
	second := d.carersEvents(discordsim.EventScheduled)
	if len(second) > 1 {
		d.printf("\n")
		d.briefly(func() {
			d.cmd(d.fran, "circle skip", O("circle", carersCircle), O("session", strconv.FormatInt(second[1].Start.Unix(), 10)))
		})
	}

	d.printf("\n")
	first := d.carersEvents(discordsim.EventScheduled)
	if len(first) == 0 {
		d.missing("no event to follow")
		return
	}
	d.briefly(func() { d.advance(first[0].Start) })
	d.eventsTab()
	if len(d.carersEvents(discordsim.EventActive)) != 1 {
		d.missing("the event did not go live when the session opened")
	}
	d.briefly(func() { d.advance(first[0].End) })
	d.eventsTab()
	if !d.eventEnded(first[0].ID, discordsim.EventCompleted) {
		d.missing("the event did not complete when the session closed")
	}

	d.printf("\n")
	var r *discordsim.Response
	d.briefly(func() { r = d.cmd(chloe, "mycircles") })
	if r == nil {
		return
	}
	d.printf("\n")
	r = d.click(chloe, r, "calendar", "", "Add to calendar")
	if r == nil || len(r.Attachments) == 0 {
		d.missing("Add to calendar gave no file")
		return
	}
	d.icsExcerpt(string(r.Attachments[0].Data))
}

// carersEvents are the Carers circle's events with the status, by start.
func (d *demo) carersEvents(status int) []discordsim.ScheduledEvent {
	var out []discordsim.ScheduledEvent
	for _, e := range d.sim.ScheduledEvents(d.guild) {
		if e.Name == carersCircle && e.Status == status {
			out = append(out, e)
		}
	}
	return out
}

func (d *demo) eventEnded(id string, status int) bool {
	for _, e := range d.sim.ScheduledEvents(d.guild) {
		if e.ID == id {
			return e.Status == status
		}
	}
	return false
}

// eventStatus names a scheduled event's status as Discord's client does.
var eventStatus = map[int]string{discordsim.EventScheduled: "scheduled", discordsim.EventActive: "LIVE NOW", discordsim.EventCompleted: "ended", discordsim.EventCanceled: "cancelled"}

// eventsTab prints what the server's Events tab shows, and the events that
// ended since the last look.
func (d *demo) eventsTab() {
	d.printf("Discord ▸ the Events tab of Harbour Community:\n")
	for _, e := range d.sim.ScheduledEvents(d.guild) {
		shown := e.Status == discordsim.EventScheduled || e.Status == discordsim.EventActive
		key := "event " + e.ID + " " + strconv.Itoa(e.Status)
		if !shown && d.seenMsgs[key] > 0 {
			continue
		}
		d.seenMsgs[key]++
		line := fmt.Sprintf("📅 %s · <t:%d:F> – <t:%d:t> · 📍 %s · %s", e.Name, e.Start.Unix(), e.End.Unix(), e.Location, eventStatus[e.Status])
		if !shown {
			line = "  (gone from the tab) " + line
		}
		d.block("  ", d.text(line))
	}
}

// icsExcerpt prints the lines of a calendar file that carry a schedule.
func (d *demo) icsExcerpt(ics string) {
	d.printf("  The file, in part:\n")
	keep := []string{"BEGIN:VEVENT", "SUMMARY", "DTSTART", "DTEND", "RRULE", "EXDATE", "RDATE", "END:VEVENT"}
	in := false
	for _, line := range strings.Split(strings.ReplaceAll(ics, "\r\n", "\n"), "\n") {
		in = in || line == "BEGIN:VEVENT"
		for _, k := range keep {
			if in && strings.HasPrefix(line, k) {
				d.printf("    │ %s\n", line)
				break
			}
		}
		in = in && line != "END:VEVENT"
	}
}
