package demo

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// The walkthrough prints what a Discord client would show: mentions become
// names, <t:…> tags become times in the circle's zone, embeds become
// indented blocks and buttons [Label].

var (
	timeTag    = regexp.MustCompile(`<t:(-?\d+)(?::([tTdDfFR]))?>`)
	userTag    = regexp.MustCompile(`<@!?(\d+)>`)
	roleTag    = regexp.MustCompile(`<@&(\d+)>`)
	channelTag = regexp.MustCompile(`<#(\d+)>`)
)

// text renders message markup as plain terminal text.
func (d *demo) text(s string) string {
	s = userTag.ReplaceAllStringFunc(s, func(m string) string {
		id := userTag.FindStringSubmatch(m)[1]
		return "@" + d.name(id)
	})
	s = roleTag.ReplaceAllStringFunc(s, func(m string) string {
		id := roleTag.FindStringSubmatch(m)[1]
		if n, ok := d.labels[id]; ok {
			return n
		}
		return "@role"
	})
	s = channelTag.ReplaceAllStringFunc(s, func(m string) string {
		id := channelTag.FindStringSubmatch(m)[1]
		if n, ok := d.labels[id]; ok {
			return n
		}
		if ch, ok := d.sim.Channel(id); ok {
			return "#" + ch.Name
		}
		return "#channel"
	})
	s = timeTag.ReplaceAllStringFunc(s, func(m string) string {
		p := timeTag.FindStringSubmatch(m)
		unix, err := strconv.ParseInt(p[1], 10, 64)
		if err != nil {
			return m
		}
		out := d.formatTime(time.Unix(unix, 0), p[2])
		// The first time a moment appears, show the tag Discord received:
		// every reader's client renders it in their own time zone.
		if !d.seenTimes[unix] {
			d.seenTimes[unix] = true
			out += " ‹" + m + "›"
		}
		return out
	})
	return s
}

// formatTime renders a <t:…:style> tag the way the Discord client would,
// in the circle's time zone (the client uses the reader's own zone).
func (d *demo) formatTime(t time.Time, style string) string {
	t = t.In(d.loc)
	switch style {
	case "t":
		return t.Format("15:04")
	case "T":
		return t.Format("15:04:05")
	case "d":
		return t.Format("02/01/2006")
	case "D":
		return t.Format("2 January 2006")
	case "R":
		return relative(t.Sub(d.clock.Now()))
	case "F":
		return t.Format("Monday, 2 January 2006 15:04 MST")
	default: // "f" and no style
		return t.Format("2 January 2006 15:04 MST")
	}
}

// relative renders a duration like Discord's relative timestamps.
func relative(d time.Duration) string {
	future := d >= 0
	if d < 0 {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		return "now"
	case d < 90*time.Second:
		s = "a minute"
	case d < 45*time.Minute:
		s = fmt.Sprintf("%d minutes", int(d.Round(time.Minute)/time.Minute))
	case d < 90*time.Minute:
		s = "an hour"
	case d < 22*time.Hour:
		s = fmt.Sprintf("%d hours", int(d.Round(time.Hour)/time.Hour))
	case d < 36*time.Hour:
		s = "a day"
	default:
		s = fmt.Sprintf("%d days", int((d+12*time.Hour)/(24*time.Hour)))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// block prints lines with a gutter.
func (d *demo) block(gutter, s string) {
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		d.printf("%s\n", strings.TrimRight(gutter+line, " "))
	}
}

// message prints what a user sees of a bot message: content, embeds,
// components, attachments.
func (d *demo) message(gutter, content string, embeds []discordgo.MessageEmbed, comps []discordsim.Component, files []discordsim.File) {
	if d.brief {
		d.headline(gutter, content, embeds, comps)
		return
	}
	if strings.TrimSpace(content) != "" {
		d.block(gutter, d.text(content))
	}
	for _, e := range embeds {
		d.embed(gutter, e)
	}
	if row := d.components(comps); row != "" {
		d.block(gutter, row)
	}
	for _, f := range files {
		d.printf("%s📎 %s (%d bytes)\n", gutter, f.Name, len(f.Data))
	}
	if strings.TrimSpace(content) == "" && len(embeds) == 0 && len(comps) == 0 && len(files) == 0 {
		d.printf("%s(empty message)\n", gutter)
	}
}

// headline prints a message briefly: its first line, its embeds' titles
// and its buttons.
func (d *demo) headline(gutter, content string, embeds []discordgo.MessageEmbed, comps []discordsim.Component) {
	if line := firstLine(strings.TrimSpace(content)); line != "" {
		d.block(gutter, d.text(line))
	}
	for _, e := range embeds {
		d.block(gutter+"┃ ", "▌"+d.text(firstLine(e.Title))+" …")
	}
	if row := d.components(comps); row != "" {
		d.block(gutter, row)
	}
}

func (d *demo) embed(gutter string, e discordgo.MessageEmbed) {
	g := gutter + "┃ "
	if e.Author != nil && e.Author.Name != "" {
		d.block(g, d.text(e.Author.Name))
	}
	if e.Title != "" {
		d.block(g, "▌"+d.text(e.Title))
	}
	if e.Description != "" {
		d.block(g, d.text(e.Description))
	}
	for _, f := range e.Fields {
		if f == nil {
			continue
		}
		d.block(g, "• "+d.text(f.Name))
		d.block(g+"  ", d.text(f.Value))
	}
	if e.Footer != nil && e.Footer.Text != "" {
		d.block(g, "— "+d.text(e.Footer.Text))
	}
}

// components renders buttons as [Label] and select menus as ⟨placeholder ▾⟩.
func (d *demo) components(cs []discordsim.Component) string {
	var rows []string
	var walk func([]discordsim.Component, *[]string)
	walk = func(cs []discordsim.Component, row *[]string) {
		for _, c := range cs {
			switch c.Type {
			case 1: // action row
				var r []string
				walk(c.Components, &r)
				if len(r) > 0 {
					rows = append(rows, strings.Join(r, " "))
				}
			case 2: // button
				label := d.text(c.Label)
				if c.URL != "" {
					label += " ↗"
				}
				if c.Disabled {
					label += " (disabled)"
				}
				*row = append(*row, "["+label+"]")
			case 3, 5, 6, 7, 8: // select menus
				*row = append(*row, "⟨"+d.text(c.Placeholder)+" ▾⟩")
			default:
				walk(c.Components, row)
			}
		}
	}
	var top []string
	walk(cs, &top)
	if len(top) > 0 {
		rows = append([]string{strings.Join(top, " ")}, rows...)
	}
	return strings.Join(rows, "\n")
}
