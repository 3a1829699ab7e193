package demo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// TestDemoRunsToTheEnd plays the whole walkthrough, as `circlebot demo
// --keep` does, and checks its milestones and the kept database.
func TestDemoRunsToTheEnd(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()

	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Run(ctx, Options{Out: &out, Keep: true, TempDir: tmp}); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	s := out.String()

	milestones := []string{
		// The sample server, the bot connected and the owner welcomed.
		"Harbour Community", "registered 9 commands", "circlebot ▸ DM to Ada", "Thanks for adding circlebot",
		"Hana ▸ /helpnow", "emergency number",
		"Ada ▸ /setup facilitator_role:@Facilitators category:#Circles",
		`Fran ▸ /circle create name:"Grief circle" kind:peer`,
		"Fran ▸ types “Europe/Ber” in timezone:\n  circlebot ▸ suggests Europe/Berlin",
		"Fran ▸ fills in the form and submits it:",
		"Ben ▸ /circles",
		"Ben ▸ types “gri” in circle:\n  circlebot ▸ suggests Grief circle",
		"[I agree — join] [Join as listener] [Cancel]",
		"Ben ▸ clicks [I agree — join]", "Elif ▸ clicks [Join as listener]", "Gus ▸ clicks [I agree — join]",
		"Ben ▸ clicks [Going",
		"circlebot ▸ DM to Ben", "Fran ▸ clicks [Going]",
		// Dev's Discord is in German: the join screen, the reminder DM and its buttons are too.
		"Dev ▸ clicks [Ich stimme zu – beitreten]", "circlebot ▸ DM to Dev", "trifft sich", "Dev ▸ clicks [Diesmal nicht]",
		// The session channel, its access, pinned guidelines and prompts.
		"New channel #grief-circle-2026-12-01 in category “Circles”",
		"circlebot ▸ in #grief-circle-2026-12-01 📌 pinned",
		"Chloé ▸ writes in #grief-circle-2026-12-01",
		"circlebot ▸ DM to Fran",
		"moves to Tue 1 Dec 19:55 CET", "moves to Tue 1 Dec 20:00 CET", "moves to Wed 2 Dec 20:00 CET",
		"#grief-circle-2026-12-01 no longer exists",
		"Dev ▸ /leave", "circlebot ▸ DM to Gus", "Gus now has Dev's seat.",
		"Ben ▸ /privacy export", "📎 circlebot-export-", `"action":"given"`,
		// After the first session: the roster, refusals, a new seat.
		"Ivo ▸ clicks [Cancel]\n  circlebot ▸ updates the message (only Ivo sees this)\n    │ Cancelled",
		"Hana ▸ clicks [I agree — join]", "Fran ▸ /circle roster", "┃ • Waitlist (1)\n    │ ┃   1. @Hana · member",
		"Femi ▸ /circle edit circle:\"Grief circle\" capacity:4\n  circlebot ▸ (only Femi sees this)\n    │ 🔒 Only the facilitators of Grief circle",
		"Discord ▸ doesn't offer /circle to Hana",
		"Fran ▸ /circle edit circle:\"Grief circle\" capacity:4\n  circlebot ▸ (only Fran sees this)\n    │ Saved changes", "Hana moved up from the waitlist", "circlebot ▸ DM to Hana\n    │ 🎉 A seat opened up in **Grief circle**",
		// New guidelines, an extra session, re-consent mid-session.
		"Fran ▸ /circle guidelines", "✎ 7. Before sharing", "Saved version 2 of the guidelines",
		"Fran ▸ /circle open", "Opened a session of **Grief circle**: #grief-circle-2026-12-03",
		"circlebot ▸ DM to Ben\n    │ 🌱", "a DM like it to Chloé, Elif, Gus and Hana",
		"Ben ▸ clicks [I agree to version 2]", "come on in",
		// A round with a timer; a circle card joined from its button.
		"Fran ▸ clicks [🔄 Start a round (facilitators)]", "Ben ▸ clicks [✋ Raise hand]", "🎙️ **Speaking:** @Ben", "⏰ **Time's up**, @Ben", "The round has ended",
		"Fran ▸ /circle post circle:\"Grief circle\" channel:#find-a-circle", "Jas ▸ clicks [Read the guidelines & join]", "Jas ▸ clicks [Join as listener]",
		"Fran ▸ /circle close", "Closed the session of **Grief circle**",
		// The schedule, a skip, planning ahead.
		"Fran ▸ /circle schedule circle:\"Grief circle\"\n", "▌🗓️ When Grief circle meets",
		`Fran ▸ /circle schedule circle:"Grief circle" cron:"30 18 * * 4"`,
		"• Thursday, 10 December 2026 18:30 CET ‹<t:", "• Thursday, 17 December 2026 18:30 CET ‹<t:", "• Thursday, 24 December 2026 18:30 CET ‹<t:",
		"Fran ▸ /circle skip", "Skipped the session of **Grief circle** on Thursday, 10 December 2026", "📅 The session of **Grief circle**",
		"Chloé ▸ clicks [Sessions…]", "Chloé ▸ clicks [Going · #2 Thu 24 Dec]", "**going** to Grief circle on Thursday, 24 December 2026",
		"Chloé ▸ clicks [🔕 Reminders off]", "are **off**", "Chloé ▸ clicks [🔔 Reminders on]", "are **on**",
		// Removal and its lifting; leaving the server; erasure.
		"Fran ▸ /circle remove circle:\"Grief circle\" member:@Gus\n", "circlebot ▸ DM to Gus\n    │ A facilitator has removed you",
		"member:@Gus lift:true", "Lifted the removal of @Gus",
		"Elif ▸ leaves the Harbour Community server", "withdrew Elif's place in Grief circle (status now “left”",
		"Ben ▸ /privacy delete", "Ben ▸ clicks [Erase my data]", "🗑️ Done.", "0 memberships, 0 consent events, 0 RSVPs.",
		// The admin's crisis text, archiving, the bot leaving.
		"Ada ▸ /setup crisis_resources:true", "Ada ▸ fills in the form",
		"Hana ▸ /helpnow\n  circlebot ▸ (only Hana sees this)\n    │ 💙 **If you are in danger, call your local emergency number now.**\n    │ Circles are peer support, not therapy or medical care. The people below can help right now:\n    │ ┃ ▌Crisis resources\n    │ ┃ **In an emergency, call 112.**",
		"Fran ▸ clicks [Archive Grief circle]", "Archived **Grief circle**", "🗂️ **Grief circle** has been archived",
		// A fortnightly circle in the Events tab; a calendar file.
		`Fran ▸ /circle schedule circle:"Carers circle" repeat:2w`, "Every 2 weeks on Thursday at 20:00",
		"• Thursday, 3 December 2026 20:00 CET\n    │ ┃   • Thursday, 17 December 2026 20:00 CET\n    │ ┃   • Thursday, 31 December 2026 20:00 CET",
		"Discord ▸ the Events tab of Harbour Community:\n  📅 Carers circle · Thursday, 3 December 2026 20:00 CET – 21:00 ‹<t:1796328000:t>› · 📍 Private circle channel — join with /join first · scheduled",
		"· LIVE NOW", "(gone from the tab) 📅 Carers circle · Thursday, 17 December 2026 20:00 CET – 21:00 · 📍 Private circle channel — join with /join first · cancelled",
		"(gone from the tab) 📅 Carers circle · Thursday, 3 December 2026 20:00 CET – 21:00 · 📍 Private circle channel — join with /join first · ended",
		"Chloé ▸ clicks [📅 Add to calendar]", "📎 circlebot.ics", "│ RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", "│ DTSTART;TZID=Europe/Berlin:", "│ EXDATE;TZID=Europe/Berlin:20261217T200000",
		"Ada ▸ removes circlebot from the server", "moves to Thu 10 Dec 22:00 CET", "Nothing about Harbour Community is left",
		"Demo finished in",
		"server set up, circle created, 3 joined with consent, 1 waitlisted, session channel #grief-circle-2026-12-01 opened, closed, deleted after retention, " +
			"guidelines v2 agreed mid-session, 1 removal lifted, 1 member's data erased, circle archived, server data purged after 7 days.",
	}
	for _, m := range milestones {
		if !strings.Contains(s, m) {
			t.Errorf("the output lacks %q", m)
		}
	}
	// Every feature the walkthrough shows is built: nothing is reported
	// missing and no interaction failed.
	for _, bad := range []string{"did not happen", "    ✗ ", "no such button"} {
		if strings.Contains(s, bad) {
			t.Errorf("the output contains %q", bad)
		}
	}
	// Access to the session channel comes from consent: the table printed
	// at opening, then after closing (everyone read-only).
	for _, re := range []string{
		`(?m)^ +Ben +member +yes +yes$`, `(?m)^ +Elif +listener +yes +no$`, `(?m)^ +Gus +waitlisted +no +no$`,
		`(?m)^ +Hana +not in the circle +no +no$`, `(?m)^ +Femi +facilitator of other circles +no +no$`,
		`(?m)^ +Fran +facilitator +yes +no$`, `(?m)^ +Ben +member +yes +no$`,
		// The extra session: stale consent keeps Ben out until he agrees;
		// removal takes Gus's reading access away.
		`(?m)^ +Ben +member, agreed to v1 +no +no$`, `(?m)^ +Ben +member, agreed to v2 +yes +yes$`,
		`(?m)^ +Hana +member, agreed to v1 +no +no$`,
		`(?m)^ +Gus +member, agreed to v2 +yes +no$`, `(?m)^ +Gus +removed +no +no$`,
	} {
		if !regexp.MustCompile(re).MatchString(s) {
			t.Errorf("the output lacks an access row matching %s", re)
		}
	}
	// Step headers are numbered in order.
	last := -1
	for _, h := range []string{"━━ 1. ", "━━ 3. The admin", "━━ 12. ", "━━ 18. ", "━━ 23. An extra session", "━━ 33. "} {
		i := strings.Index(s, h)
		if i < 0 || i < last {
			t.Errorf("header %q missing or out of order", h)
		}
		last = i
	}
	if strings.Contains(s, "\x1b[") {
		t.Error("the output contains terminal escape codes")
	}

	// --keep leaves the database and says where it is.
	dbs, _ := filepath.Glob(filepath.Join(tmp, "circlebot-demo-*", "circlebot.db"))
	if len(dbs) != 1 {
		t.Fatalf("kept databases: %v", dbs)
	}
	if !strings.Contains(s, dbs[0]) {
		t.Errorf("the output does not name the kept database %s", dbs[0])
	}
	if fi, err := os.Stat(dbs[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("kept database: %v, %v", fi, err)
	}
	if t.Failed() {
		t.Logf("output:\n%s", s)
	}
}

// Without --keep nothing is left behind.
func TestDemoRemovesItsDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the whole walkthrough")
	}
	t.Parallel()
	tmp := t.TempDir()
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Out: &out, TempDir: tmp}); err != nil {
		t.Fatalf("demo failed: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("the demo left %v behind", left)
	}
	if strings.Contains(out.String(), "is kept at") {
		t.Error("the demo says it kept the database")
	}
}

// The renderer shows mentions as names and timestamps in the circle's zone,
// with the raw tag the first time a moment appears.
func TestRender(t *testing.T) {
	loc, _ := time.LoadLocation(zone)
	now := time.Date(2026, 12, 1, 17, 0, 0, 0, loc)
	d := &demo{
		loc: loc, clock: circles.NewManualClock(now), out: &bytes.Buffer{},
		names:     map[string]string{"111": "Fran"},
		labels:    map[string]string{"222": "@Facilitators", "333": "#Circles"},
		seenTimes: map[int64]bool{},
	}
	at := time.Date(2026, 12, 1, 19, 0, 0, 0, loc).Unix()
	in := "Hi <@111> and <@!111>, ask <@&222> in <#333>: <t:" + itoa(at) + ":F> (<t:" + itoa(at) + ":R>), again <t:" + itoa(at) + ":t>."
	got := d.text(in)
	want := "Hi @Fran and @Fran, ask @Facilitators in #Circles: Tuesday, 1 December 2026 19:00 CET ‹<t:" + itoa(at) + ":F>› (in 2 hours), again 19:00."
	if got != want {
		t.Errorf("text:\n got %s\nwant %s", got, want)
	}

	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "now"},
		{5 * time.Minute, "in 5 minutes"},
		{-5 * time.Minute, "5 minutes ago"},
		{time.Hour, "in an hour"},
		{26 * time.Hour, "in a day"},
		{7 * 24 * time.Hour, "in 7 days"},
	} {
		if got := relative(c.d); got != c.want {
			t.Errorf("relative(%v) = %q, want %q", c.d, got, c.want)
		}
	}

	var buf bytes.Buffer
	d.out = &buf
	d.message("│ ", "Welcome", []discordgo.MessageEmbed{{Title: "Grief circle", Description: "Peer support", Fields: []*discordgo.MessageEmbedField{{Name: "Next", Value: "soon"}}}},
		[]discordsim.Component{{Type: 1, Components: []discordsim.Component{{Type: 2, Label: "I agree — join", CustomID: "x"}, {Type: 2, Label: "Cancel", CustomID: "y"}}}}, nil)
	wantOut := "│ Welcome\n│ ┃ ▌Grief circle\n│ ┃ Peer support\n│ ┃ • Next\n│ ┃   soon\n│ [I agree — join] [Cancel]\n"
	if buf.String() != wantOut {
		t.Errorf("message:\n got %q\nwant %q", buf.String(), wantOut)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
