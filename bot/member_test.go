package bot_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// memberSetup configures the guild through the store, so these tests don't
// depend on /setup.
func (h *harness) memberSetup() {
	h.t.Helper()
	if err := h.store.SaveGuildSettings(h.ctx, circles.GuildSettings{GuildID: h.guild, FacilitatorRoleID: h.facRole,
		CategoryID: h.category, RetentionHours: 24, ReminderMinutes: 60, Configured: true}); err != nil {
		h.t.Fatal(err)
	}
}

// memberCircle creates a circle facilitated by h.fac meeting Tuesdays at
// 19:00 Berlin time, and plans its next session.
func (h *harness) memberCircle(name string, capacity int, listeners bool) circles.Circle {
	h.t.Helper()
	c := circles.NewCircle(h.guild, name, circles.KindPeer, circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", time.Hour), h.fac, h.clock.Now())
	c.Capacity, c.ListenersAllowed, c.ListenerCap = capacity, listeners, 2
	c.Topic = "A place to talk about " + strings.ToLower(name)
	if err := h.store.CreateCircle(h.ctx, &c); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.bot.Scheduler().Plan(h.ctx, c.ID); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// memberJoin runs /join and clicks the given mode's button.
func (h *harness) memberJoin(user string, c circles.Circle, mode circles.Mode) *discordsim.Response {
	h.t.Helper()
	r := h.run(user, "join", discordsim.O("circle", circlePick(c)))
	return h.clickOn(user, r, "join", string(mode))
}

// memberOpenSession stores an open session of c with a channel in the
// category, as the lifecycle would have opened it.
func (h *harness) memberOpenSession(c circles.Circle) string {
	h.t.Helper()
	ch := h.sim.AddChannel(h.guild, discordgo.ChannelTypeGuildText, circles.ChannelName(c.Name, h.clock.Now(), c.Location()), h.category)
	now := h.clock.Now()
	if _, _, err := h.store.EnsureSession(h.ctx, circles.Session{GuildID: h.guild, CircleID: c.ID, Start: now.Add(-10 * time.Minute),
		End: now.Add(50 * time.Minute), State: circles.SessionOpen, ChannelID: ch, OpenedAt: now}); err != nil {
		h.t.Fatal(err)
	}
	return ch
}

func (h *harness) memberStatus(c circles.Circle, user string) circles.Membership {
	h.t.Helper()
	m, err := h.store.Membership(h.ctx, h.guild, c.ID, user)
	if err != nil && circles.ErrorCode(err) != circles.ENotFound {
		h.t.Fatal(err)
	}
	return m
}

func memberItoa(v int64) string { return strconv.FormatInt(v, 10) }

// circlePick is the value a circle autocomplete choice carries, as if the
// user picked c from the list.
func circlePick(c circles.Circle) string { return circles.IDRefPrefix + memberItoa(c.ID) }

func TestMemberCirclesAndJoin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O

	// /helpnow works before /setup, with the default resources.
	r := h.run(h.members[0], "helpnow")
	if !r.Ephemeral {
		t.Fatal("/helpnow is not ephemeral")
	}
	wantContains(t, responseText(r), "findahelpline.com", "peer support, not therapy or medical care", "call your local emergency number")

	r = h.run(h.members[0], "circles")
	wantContains(t, r.Content, "No circles yet", "/circle create")

	h.memberSetup()
	grief := h.memberCircle("Grief circle", 2, true)
	quiet := h.memberCircle("Quiet circle", 4, false)

	// Join as a member: guidelines, consent text, three buttons.
	r = h.run(h.members[0], "join", O("circle", circlePick(grief)))
	if !r.Ephemeral || len(r.Embeds) != 1 || r.Embeds[0].Description != circles.DefaultGuidelines {
		t.Fatalf("/join screen: %+v", r)
	}
	wantContains(t, r.Content, "By joining you agree to these guidelines", "not therapy or medical care", "/leave", "/privacy delete", "just listen", "<t:")
	if labels := buttonLabels(r); labels != "I agree — join|Join as listener|Cancel" {
		t.Fatalf("join buttons %v", labels)
	}
	// Someone else can't use these buttons.
	if _, err := h.sim.Click(h.ctx, h.members[1], r.ChannelID, r.MessageID, r.Buttons()[0].CustomID); err == nil {
		t.Fatal("another user could click an ephemeral button")
	}
	got := h.memberClickAs(h.members[1], h.guild, bot.CustomID{Action: "join", GuildID: h.guild, CircleID: grief.ID, Version: 1, UserID: h.members[0], Arg: "member"})
	wantContains(t, got, "belongs to someone else")
	if m := h.memberStatus(grief, h.members[1]); m.Status != "" {
		t.Fatalf("refused click joined: %+v", m)
	}

	r2 := h.clickOn(h.members[0], r, "join", "member")
	wantContains(t, r2.Content, "Welcome to **Grief circle**", "member", "Next session", "<t:")
	if len(r2.Buttons()) != 0 || len(r2.Embeds) != 0 || r2.MessageID != r.MessageID {
		t.Fatalf("join didn't update the message: %+v", r2)
	}
	m := h.memberStatus(grief, h.members[0])
	if m.Status != circles.StatusActive || m.Mode != circles.ModeMember || !m.HasCurrentConsent(1) {
		t.Fatalf("membership %+v", m)
	}
	ledger, err := h.store.ConsentLedger(h.ctx, grief.ID, h.members[0])
	if err != nil || len(ledger) != 1 || ledger[0].Action != circles.ConsentGiven || ledger[0].GuidelinesVersion != 1 || ledger[0].Mode != circles.ModeMember {
		t.Fatalf("ledger %+v %v", ledger, err)
	}
	// Clicking again (a second tab) is a clear refusal that changes nothing.
	got = h.memberClickAs(h.members[0], h.guild, bot.CustomID{Action: "join", GuildID: h.guild, CircleID: grief.ID, Version: 1, UserID: h.members[0], Arg: "member"})
	wantContains(t, got, "already in Grief circle")

	// Join as listener.
	r = h.memberJoin(h.members[1], grief, circles.ModeListener)
	wantContains(t, r.Content, "Welcome", "listener")
	if m := h.memberStatus(grief, h.members[1]); m.Mode != circles.ModeListener || m.Status != circles.StatusActive {
		t.Fatalf("listener %+v", m)
	}
	// A circle without listeners offers no listener button, and a forged one is refused.
	r = h.run(h.members[1], "join", O("circle", "Quiet circle"))
	for _, b := range r.Buttons() {
		if strings.Contains(b.Label, "listener") {
			t.Fatalf("listener button on a circle without listeners: %v", r.Buttons())
		}
	}
	got = h.memberClickAs(h.members[1], h.guild, bot.CustomID{Action: "join", GuildID: h.guild, CircleID: quiet.ID, Version: 1, UserID: h.members[1], Arg: "listener"})
	wantContains(t, got, "doesn't have listener seats")

	// Capacity 2: the third speaking member goes on the waitlist, and is told where.
	h.memberJoin(h.members[2], grief, circles.ModeMember)
	r = h.run(h.members[3], "join", O("circle", "grief circle"))
	wantContains(t, r.Content, "puts you on the waitlist")
	r = h.clickOn(h.members[3], r, "join", "member")
	wantContains(t, r.Content, "#1 on the waitlist", "DM you when a seat opens")
	r = h.memberJoin(h.members[4], grief, circles.ModeMember)
	wantContains(t, r.Content, "#2 on the waitlist")
	if m := h.memberStatus(grief, h.members[4]); m.Status != circles.StatusWaitlisted {
		t.Fatalf("waitlisted %+v", m)
	}
	r = h.run(h.members[4], "join", O("circle", "Grief circle"))
	wantContains(t, r.Content, "#2 on the waitlist")

	// /circles: timestamps, seats, facilitators, never member names.
	r = h.run(h.members[5], "circles")
	if !r.Ephemeral || len(r.Embeds) != 2 {
		t.Fatalf("/circles: %+v", r)
	}
	text := responseText(r)
	wantContains(t, text, "Grief circle", "Quiet circle", "Peer support", "<@"+h.fac+">", "Every Tuesday at 19:00 (Europe/Berlin)",
		"Full (2)", "1 of 2 left", "2 waiting", "4 of 4 left", "No listener seats", "not therapy", "/helpnow")
	next, _ := h.bot.Scheduler().Upcoming(h.ctx, grief, 1)
	wantContains(t, text, "<t:"+memberItoa(next[0].Start.Unix())+":F>", "<t:"+memberItoa(next[0].Start.Unix())+":R>")
	for _, u := range h.members[:5] {
		if strings.Contains(text, u) {
			t.Fatalf("/circles names member %s: %s", u, text)
		}
	}

	// Tampered custom_ids change nothing: another circle, another guild, a
	// bad mode, garbage.
	other := h.sim.AddGuild("Elsewhere", h.admin)
	for _, tc := range []struct {
		id   bot.CustomID
		want string
	}{
		{bot.CustomID{Action: "join", GuildID: h.guild, CircleID: 9999, Version: 1, UserID: h.members[6], Arg: "member"}, "doesn't exist"},
		{bot.CustomID{Action: "join", GuildID: other, CircleID: grief.ID, Version: 1, UserID: h.members[6], Arg: "member"}, "another server"},
		{bot.CustomID{Action: "join", GuildID: h.guild, CircleID: grief.ID, Version: 1, UserID: h.members[6], Arg: "admin"}, "no longer works"},
		{bot.CustomID{Action: "join", GuildID: h.guild, CircleID: grief.ID, Version: 1, Arg: "member"}, "no longer works"},
	} {
		if got := h.memberClickAs(h.members[6], h.guild, tc.id); !strings.Contains(got, tc.want) {
			t.Fatalf("%+v: %q, want %q", tc.id, got, tc.want)
		}
	}
	got = h.memberHandle(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent, GuildID: h.guild,
		Member: &discordgo.Member{User: &discordgo.User{ID: h.members[6]}},
		Data:   discordgo.MessageComponentInteractionData{CustomID: "cb1:join:not-a-guild:1:0:1::member", ComponentType: discordgo.ButtonComponent}})
	wantContains(t, got, "no longer works")
	if m := h.memberStatus(grief, h.members[6]); m.Status != "" {
		t.Fatalf("tampered click joined: %+v", m)
	}

	// Stale version: guidelines change while someone reads them.
	r = h.run(h.members[6], "join", O("circle", "Quiet circle"))
	if _, _, err := h.store.UpdateCircle(h.ctx, h.guild, quiet.ID, func(c *circles.Circle) error {
		_, err := c.SetGuidelines("Be kind. What is said here stays here.")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r = h.clickOn(h.members[6], r, "join", "member")
	wantContains(t, r.Content, "guidelines of Quiet circle changed", "run /join again")
	if m := h.memberStatus(quiet, h.members[6]); m.Status != "" {
		t.Fatalf("stale consent joined: %+v", m)
	}
	// Cancel dismisses.
	r = h.run(h.members[6], "join", O("circle", "Quiet circle"))
	r = h.clickOn(h.members[6], r, "cancel", "")
	wantContains(t, r.Content, "Cancelled")
	if len(r.Buttons()) != 0 {
		t.Fatal("cancel left buttons")
	}

	// Renewal: a member whose consent is stale sees the screen again.
	h.memberJoin(h.members[7], quiet, circles.ModeMember)
	if _, _, err := h.store.UpdateCircle(h.ctx, h.guild, quiet.ID, func(c *circles.Circle) error {
		_, err := c.SetGuidelines("Version three.")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r = h.run(h.members[7], "join", O("circle", "Quiet circle"))
	wantContains(t, r.Content, "have changed")
	if r.Embeds[0].Description != "Version three." {
		t.Fatalf("renewal shows %q", r.Embeds[0].Description)
	}
	r = h.clickOn(h.members[7], r, "join", "member")
	wantContains(t, r.Content, "consent to the new guidelines", "version 3")
	if m := h.memberStatus(quiet, h.members[7]); !m.HasCurrentConsent(3) {
		t.Fatalf("renewed consent %+v", m)
	}
	// Switching mode from the already-in screen.
	r = h.run(h.members[0], "join", O("circle", "Grief circle"))
	wantContains(t, r.Content, "already in **Grief circle**")
	r = h.clickOn(h.members[0], r, "join", "listener")
	wantContains(t, r.Content, "now a **listener**")

	// Archived or unknown circles are a kind error.
	if _, _, err := h.store.UpdateCircle(h.ctx, h.guild, quiet.ID, func(c *circles.Circle) error { c.Archived = true; return nil }); err != nil {
		t.Fatal(err)
	}
	wantContains(t, h.run(h.members[8], "join", O("circle", "Quiet circle")).Content, "archived")
	wantContains(t, h.run(h.members[8], "join", O("circle", "Nope")).Content, "couldn't find a circle called")
	choices, err := h.sim.Autocomplete(h.ctx, h.members[8], h.guild, "join", "circle", "gr")
	if err != nil || len(choices) != 1 || choices[0].Name != "Grief circle" {
		t.Fatalf("autocomplete %+v %v", choices, err)
	}
	h.wantNoPings()
}

func TestMemberLeaveAndMyCircles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.memberSetup()
	grief := h.memberCircle("Grief circle", 2, true)
	ch := h.memberOpenSession(grief)
	a, b, c := h.members[0], h.members[1], h.members[2]

	// Joining during an open session lets people in at once.
	h.memberJoin(a, grief, circles.ModeMember)
	h.memberJoin(b, grief, circles.ModeMember)
	wantContains(t, h.memberJoin(c, grief, circles.ModeMember).Content, "#1 on the waitlist")
	if !h.sim.CanView(a, ch) || !h.sim.CanSend(b, ch) || h.sim.CanView(c, ch) || h.sim.CanView(h.members[3], ch) {
		t.Fatal("session channel access does not follow consent")
	}

	// /leave asks first; cancel changes nothing.
	choices, err := h.sim.Autocomplete(h.ctx, a, h.guild, "leave", "circle", "")
	if err != nil || len(choices) != 1 || choices[0].Name != "Grief circle" {
		t.Fatalf("leave autocomplete %+v %v", choices, err)
	}
	if choices, _ := h.sim.Autocomplete(h.ctx, h.members[5], h.guild, "leave", "circle", ""); len(choices) != 0 {
		t.Fatalf("leave autocomplete offers circles the user isn't in: %+v", choices)
	}
	r := h.run(a, "leave", O("circle", circlePick(grief)))
	wantContains(t, r.Content, "withdraws your consent")
	h.clickOn(a, r, "cancel", "")
	if m := h.memberStatus(grief, a); m.Status != circles.StatusActive {
		t.Fatalf("cancelled leave: %+v", m)
	}
	// Another member's leave button is refused.
	got := h.memberClickAs(b, h.guild, bot.CustomID{Action: "leave", GuildID: h.guild, CircleID: grief.ID, UserID: a, Arg: "confirm"})
	wantContains(t, got, "belongs to someone else")
	if m := h.memberStatus(grief, a); m.Status != circles.StatusActive {
		t.Fatalf("forged leave: %+v", m)
	}
	r = h.run(a, "leave", O("circle", "Grief circle"))
	r = h.clickOn(a, r, "leave", "confirm")
	wantContains(t, r.Content, "left **Grief circle**", "consent is withdrawn", "/join")
	if m := h.memberStatus(grief, a); m.Status != circles.StatusLeft || m.ConsentVersion != 0 {
		t.Fatalf("after leave: %+v", m)
	}
	if h.sim.CanView(a, ch) {
		t.Fatal("left member still sees the session channel")
	}
	// The first on the waitlist got the seat, access and a DM.
	if err := h.sim.WaitFor(h.ctx, func() bool { return len(h.sim.DMs(c)) > 0 }); err != nil {
		t.Fatal(err)
	}
	wantContains(t, h.sim.DMs(c)[0].Content, "seat opened up in **Grief circle**")
	if m := h.memberStatus(grief, c); m.Status != circles.StatusActive || !h.sim.CanView(c, ch) {
		t.Fatalf("promoted member: %+v, can view %v", m, h.sim.CanView(c, ch))
	}
	wantContains(t, h.run(a, "leave", O("circle", "Grief circle")).Content, "not in Grief circle", "/mycircles")

	// /mycircles: next sessions, RSVP and reminders, persisted.
	quiet := h.memberCircle("Quiet circle", 4, true)
	h.memberJoin(b, quiet, circles.ModeListener)
	r = h.run(b, "mycircles")
	if !r.Ephemeral || len(r.Embeds) != 2 || len(r.Components) != 3 { // a row per circle, and Add to calendar
		t.Fatalf("/mycircles: %+v", r)
	}
	text := responseText(r)
	wantContains(t, text, "Grief circle", "Quiet circle", "Speaking member", "Listener", "agreed to the current guidelines", "Not answered yet", "Reminders", "<t:")
	next, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: quiet.ID, States: []circles.SessionState{circles.SessionPlanned}})
	if err != nil || len(next) == 0 {
		t.Fatalf("planned sessions %v %v", next, err)
	}
	var goingID string
	for _, btn := range r.Buttons() {
		id, _ := bot.DecodeCustomID(btn.CustomID)
		if id.Action == "rsvp" && id.Arg == "going" && id.CircleID == quiet.ID {
			goingID = btn.CustomID
		}
	}
	r2, err := h.sim.Click(h.ctx, b, r.ChannelID, r.MessageID, goingID)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, responseText(r2), "you're **going** to Quiet circle", "✅ Going")
	rsvps, _ := h.store.RSVPs(h.ctx, next[0].ID)
	if len(rsvps) != 1 || rsvps[0].UserID != b || rsvps[0].Status != circles.RSVPGoing {
		t.Fatalf("rsvps %+v", rsvps)
	}
	// Reminders off for Quiet circle only.
	var offID string
	for _, btn := range r2.Buttons() {
		id, _ := bot.DecodeCustomID(btn.CustomID)
		if id.Action == "remind" && id.Arg == "off" && id.CircleID == quiet.ID {
			offID = btn.CustomID
		}
	}
	r3, err := h.sim.Click(h.ctx, b, r2.ChannelID, r2.MessageID, offID)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, responseText(r3), "Reminders for Quiet circle are **off**")
	if h.memberStatus(quiet, b).Reminders || !h.memberStatus(grief, b).Reminders {
		t.Fatal("reminder toggle not persisted for the right circle")
	}
	// A click in a DM (a reminder): the guild comes from the custom_id, and
	// the store checks membership.
	skip := bot.CustomID{Action: "rsvp", GuildID: h.guild, CircleID: quiet.ID, SessionID: next[0].ID, UserID: b, Arg: "skip"}
	wantContains(t, h.memberClickAs(b, "", skip), "**skip** Quiet circle")
	if rsvps, _ := h.store.RSVPs(h.ctx, next[0].ID); len(rsvps) != 1 || rsvps[0].Status != circles.RSVPSkip {
		t.Fatalf("DM rsvp %+v", rsvps)
	}
	// Someone who isn't a member, or another's button, or a session of
	// another circle: refused and nothing changes.
	skip.UserID = h.members[9]
	wantContains(t, h.memberClickAs(h.members[9], "", skip), "Only members of Quiet circle")
	skip.UserID = b
	wantContains(t, h.memberClickAs(h.members[9], h.guild, skip), "belongs to someone else")
	skip.CircleID, skip.Arg = grief.ID, "going"
	wantContains(t, h.memberClickAs(b, h.guild, skip), "can't find that session")
	remindOn := bot.CustomID{Action: "remind", GuildID: h.guild, CircleID: quiet.ID, UserID: h.members[9], Arg: "on"}
	wantContains(t, h.memberClickAs(h.members[9], h.guild, remindOn), "not in Quiet circle any more", "/mycircles", "/join Quiet circle")
	if rsvps, _ := h.store.RSVPs(h.ctx, next[0].ID); len(rsvps) != 1 || rsvps[0].Status != circles.RSVPSkip {
		t.Fatalf("refused clicks changed rsvps: %+v", rsvps)
	}
	// Stale consent shows in /mycircles.
	if _, _, err := h.store.UpdateCircle(h.ctx, h.guild, quiet.ID, func(c *circles.Circle) error {
		_, err := c.SetGuidelines("New rules.")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	wantContains(t, responseText(h.run(b, "mycircles")), "Guidelines changed — run /join Quiet circle")
	wantContains(t, h.run(h.members[10], "mycircles").Content, "not in any circles")
	h.wantNoPings()
}

// memberClickWhere clicks the button of r whose custom_id matches.
func (h *harness) memberClickWhere(user string, r *discordsim.Response, match func(bot.CustomID) bool) *discordsim.Response {
	h.t.Helper()
	for _, b := range r.Buttons() {
		if id, err := bot.DecodeCustomID(b.CustomID); err == nil && match(id) {
			if b.Disabled {
				h.t.Fatalf("button %q is disabled", b.Label)
			}
			resp, err := h.sim.Click(h.ctx, user, r.ChannelID, r.MessageID, b.CustomID)
			if err != nil {
				h.t.Fatal(err)
			}
			return resp
		}
	}
	h.t.Fatalf("no such button among %+v", r.Buttons())
	return nil
}

// memberWantLayout fails unless r fits Discord's component limits: at most
// 5 rows of at most 5 buttons, unique custom_ids of at most 100 characters.
func memberWantLayout(t *testing.T, r *discordsim.Response) {
	t.Helper()
	if len(r.Components) > 5 {
		t.Fatalf("%d rows of buttons", len(r.Components))
	}
	seen := map[string]bool{}
	for _, row := range r.Components {
		if len(row.Components) > 5 {
			t.Fatalf("a row of %d buttons", len(row.Components))
		}
		for _, b := range row.Components {
			if seen[b.CustomID] || len(b.CustomID) > 100 || len(b.Label) > 80 {
				t.Fatalf("bad button %+v", b)
			}
			seen[b.CustomID] = true
		}
	}
}

func memberTitles(r *discordsim.Response) string {
	var out []string
	for _, e := range r.Embeds {
		out = append(out, e.Title)
	}
	return strings.Join(out, ",")
}

func TestMemberMyCirclesPagesSessionsAndReminders(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.memberSetup()
	me := h.members[0]
	byName := map[string]circles.Circle{}
	for _, name := range []string{"Alder", "Birch", "Cedar", "Damson", "Elm", "Fir"} {
		c := h.memberCircle(name, 4, true)
		h.facJoin(me, c, circles.ModeMember)
		byName[name] = c
	}
	isAction := func(action, arg string, c circles.Circle) func(bot.CustomID) bool {
		return func(id bot.CustomID) bool {
			return id.Action == action && (arg == "" || id.Arg == arg) && (c.ID == 0 || id.CircleID == c.ID)
		}
	}

	// Six circles, three a page: every one is reachable.
	r := h.run(me, "mycircles")
	memberWantLayout(t, r)
	wantContains(t, r.Content, "page 1 of 2", "6 circles")
	if got := memberTitles(r); got != "Alder,Birch,Cedar" {
		t.Fatalf("page 1: %s", got)
	}
	for _, b := range r.Buttons() {
		if id, _ := bot.DecodeCustomID(b.CustomID); id.Action == "mycircles" && id.Arg == "prev" && !b.Disabled {
			t.Fatal("Previous is enabled on the first page")
		}
	}
	r = h.memberClickWhere(me, r, isAction("mycircles", "next", circles.Circle{}))
	memberWantLayout(t, r)
	wantContains(t, r.Content, "page 2 of 2")
	if got := memberTitles(r); got != "Damson,Elm,Fir" {
		t.Fatalf("page 2: %s", got)
	}
	r = h.memberClickWhere(me, r, isAction("mycircles", "prev", circles.Circle{}))
	wantContains(t, r.Content, "page 1 of 2")
	r = h.memberClickWhere(me, r, isAction("mycircles", "next", circles.Circle{}))

	// Sessions… of Elm: its next three sessions, each with Going and Skip.
	elm := byName["Elm"]
	r = h.memberClickWhere(me, r, isAction("mysessions", "", elm))
	memberWantLayout(t, r)
	occ, err := h.bot.Scheduler().Upcoming(h.ctx, elm, 3)
	if err != nil || len(occ) != 3 {
		t.Fatalf("upcoming %v %v", occ, err)
	}
	text := responseText(r)
	for _, o := range occ {
		wantContains(t, text, "<t:"+memberItoa(o.Start.Unix())+":F>")
	}
	sessionAt := map[int64]int64{} // start → session ID, from the buttons
	for _, b := range r.Buttons() {
		if id, _ := bot.DecodeCustomID(b.CustomID); id.Action == "rsvp-sessions" {
			s, err := h.store.Session(h.ctx, id.SessionID)
			if err != nil || s.CircleID != elm.ID {
				t.Fatalf("RSVP button for session %d: %+v %v", id.SessionID, s, err)
			}
			sessionAt[s.Start.Unix()] = s.ID
		}
	}
	if len(sessionAt) != 3 {
		t.Fatalf("RSVP buttons for %d sessions, want 3", len(sessionAt))
	}
	second, third := sessionAt[occ[1].Start.Unix()], sessionAt[occ[2].Start.Unix()]
	r = h.memberClickWhere(me, r, func(id bot.CustomID) bool {
		return id.Action == "rsvp-sessions" && id.SessionID == second && id.Arg == "going"
	})
	wantContains(t, responseText(r), "you're **going** to Elm on <t:"+memberItoa(occ[1].Start.Unix())+":F>", "Your answer: ✅ Going")
	r = h.memberClickWhere(me, r, func(id bot.CustomID) bool {
		return id.Action == "rsvp-sessions" && id.SessionID == third && id.Arg == "skip"
	})
	answers := map[int64]circles.RSVPStatus{}
	for _, id := range sessionAt {
		rsvps, err := h.store.RSVPs(h.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, rv := range rsvps {
			answers[id] = rv.Status
		}
	}
	if len(answers) != 2 || answers[second] != circles.RSVPGoing || answers[third] != circles.RSVPSkip {
		t.Fatalf("answers by session %v, want going for %d and skip for %d only", answers, second, third)
	}
	// The scheduler knows these sessions: they are due (reminders, opening).
	if s, _ := h.store.Session(h.ctx, second); s.State != circles.SessionPlanned || s.DueAt.IsZero() || s.DueAt.After(s.Start) {
		t.Fatalf("second session %+v is not on the scheduler's due list", s)
	}
	// Back returns to the page Elm is on.
	r = h.memberClickWhere(me, r, isAction("mycircles", "back", elm))
	wantContains(t, r.Content, "page 2 of 2")

	// Reminders off, and back on.
	birch := byName["Birch"]
	r = h.run(me, "mycircles")
	r = h.memberClickWhere(me, r, isAction("remind", "off", birch))
	wantContains(t, r.Content, "Reminders for Birch are **off**")
	if h.memberStatus(birch, me).Reminders {
		t.Fatal("reminders still on")
	}
	r = h.memberClickWhere(me, r, isAction("remind", "on", birch))
	wantContains(t, r.Content, "Reminders for Birch are **on**")
	if !h.memberStatus(birch, me).Reminders || !h.memberStatus(elm, me).Reminders {
		t.Fatal("reminders not back on")
	}
	memberWantLayout(t, r)

	// Everything a button says is checked again on the server.
	gorse := h.memberCircle("Gorse", 4, true) // not one of mine
	gorseNext := h.facPlanned(gorse.ID)[0]
	past, _, err := h.store.EnsureSession(h.ctx, circles.Session{GuildID: h.guild, CircleID: elm.ID, Start: t0.Add(-7 * 24 * time.Hour),
		End: t0.Add(-7*24*time.Hour + time.Hour), State: circles.SessionPlanned}) // missed, not yet marked
	if err != nil {
		t.Fatal(err)
	}
	rsvp := func(circleID, sessionID int64) bot.CustomID {
		return bot.CustomID{Action: "rsvp-sessions", GuildID: h.guild, CircleID: circleID, SessionID: sessionID, UserID: me, Arg: "going"}
	}
	for _, tc := range []struct {
		id   bot.CustomID
		want string
	}{
		{rsvp(gorse.ID, gorseNext.ID), "Only members of Gorse"},
		{rsvp(elm.ID, gorseNext.ID), "can't find that session"},
		{rsvp(elm.ID, past.ID), "is over"},
		{bot.CustomID{Action: "mysessions", GuildID: h.guild, CircleID: gorse.ID, UserID: me}, "not a member of Gorse"},
	} {
		wantContains(t, h.memberClickAs(me, h.guild, tc.id), tc.want)
	}
	if rsvps, _ := h.store.RSVPs(h.ctx, gorseNext.ID); len(rsvps) != 0 {
		t.Fatalf("refused RSVP recorded: %+v", rsvps)
	}
	if rsvps, _ := h.store.RSVPs(h.ctx, past.ID); len(rsvps) != 0 {
		t.Fatalf("RSVP for a past session recorded: %+v", rsvps)
	}
	h.wantNoPings()
}

// A button whose work is slow (here: letting the new member into the open
// session channel and the three recent ones still kept, on a slow Discord)
// is acknowledged by the router's timer and then answered, correctly. The
// simulator, like Discord, fails an interaction not acknowledged in 3 s.
func TestMemberSlowJoinButtonIsDeferred(t *testing.T) {
	t.Parallel()
	h := newHarness(t) // DeferAfter 1.5 s
	h.memberSetup()
	c := h.memberCircle("Grief circle", 4, true)
	open := h.memberOpenSession(c)
	now := h.clock.Now()
	var kept []string
	for week := 1; week <= 3; week++ {
		start := now.AddDate(0, 0, -7*week)
		ch := h.sim.AddChannel(h.guild, discordgo.ChannelTypeGuildText, circles.ChannelName(c.Name, start, c.Location()), h.category)
		if _, _, err := h.store.EnsureSession(h.ctx, circles.Session{GuildID: h.guild, CircleID: c.ID, Start: start, End: start.Add(time.Hour),
			State: circles.SessionClosed, ChannelID: ch, OpenedAt: start, ClosedAt: start.Add(time.Hour), DeleteAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		kept = append(kept, ch)
	}
	me := h.members[0]
	r := h.run(me, "join", discordsim.O("circle", circlePick(c)))

	// Two calls per channel, four channels: past the router's 1.5 s, and
	// past Discord's 3 s had the router not deferred.
	h.sim.SetLatency(400 * time.Millisecond)
	r = h.clickOn(me, r, "join", "member")
	h.sim.SetLatency(0)

	if r.Type != 6 {
		t.Fatalf("callback type %d: a slow button must be acknowledged with a deferred update", r.Type)
	}
	wantContains(t, r.Content, "Welcome to **Grief circle**", "Next session")
	if len(r.Buttons()) != 0 || !r.Ephemeral {
		t.Fatalf("the join screen wasn't replaced by the answer: %+v", r)
	}
	if m := h.memberStatus(c, me); m.Status != circles.StatusActive {
		t.Fatalf("membership %+v", m)
	}
	if !h.sim.CanSend(me, open) || !h.sim.CanView(me, kept[0]) || !h.sim.CanView(me, kept[2]) {
		t.Fatal("the new member can't see the session channels")
	}
}

// Switching from speaking to listening frees a speaking seat: the first
// waitlisted member gets it, is let into the open session and told by DM,
// as after a /leave.
func TestMemberSwitchPromotesAndTellsTheWaitlist(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.memberSetup()
	c, a, w := h.memberFullCircle(true)
	ch := h.memberOpenSession(c)

	r := h.clickOn(a, h.run(a, "join", discordsim.O("circle", circlePick(c))), "join", "listener")
	wantContains(t, r.Content, "now a **listener**")
	if m := h.memberStatus(c, w); m.Status != circles.StatusActive || m.Mode != circles.ModeMember {
		t.Fatalf("the waitlisted member didn't get the freed seat: %+v", m)
	}
	if !h.sim.CanSend(w, ch) {
		t.Error("the promoted member can't write in the open session")
	}
	if !h.sim.CanView(a, ch) || h.sim.CanSend(a, ch) {
		t.Errorf("the new listener: view=%v send=%v", h.sim.CanView(a, ch), h.sim.CanSend(a, ch))
	}
	if n := h.dmsContaining(w, "seat opened up in **Grief circle** and you're in now"); n != 1 {
		t.Errorf("the promoted member got %d 'seat opened' DMs, want 1: %+v", n, h.sim.DMs(w))
	}
}

// A listener whose circle stops taking listeners isn't stuck: /join still
// offers them a speaking seat; a member is no longer offered listening.
func TestMemberListenerMovesToSpeakingAfterListenersOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	c := h.memberCircle("Grief circle", 4, true)
	l, m := h.members[0], h.members[1]
	h.memberJoin(l, c, circles.ModeListener)
	h.memberJoin(m, c, circles.ModeMember)
	wantContains(t, h.run(h.fac, "circle edit", discordsim.O("circle", circlePick(c)), discordsim.O("listeners", false)).Content, "listeners not allowed")

	r := h.run(l, "join", discordsim.O("circle", circlePick(c)))
	wantContains(t, r.Content, "already in **Grief circle** as a listener", "doesn't take new listeners", "speaking seat below")
	if labels := buttonLabels(r); labels != "Switch to a speaking seat|Cancel" {
		t.Fatalf("listener's buttons %s", labels)
	}
	wantContains(t, h.clickOn(l, r, "join", "member").Content, "now a **member**")
	if got := h.memberStatus(c, l); got.Mode != circles.ModeMember || got.Status != circles.StatusActive {
		t.Fatalf("after the switch: %+v", got)
	}

	r = h.run(m, "join", discordsim.O("circle", circlePick(c)))
	if len(r.Buttons()) != 0 || strings.Contains(r.Content, "switch") {
		t.Fatalf("a member is offered listening in a circle without listeners: %q %s", r.Content, buttonLabels(r))
	}
}

// A circle with listeners allowed but no listener seats offers no
// listening anywhere, and refuses a listener join kindly instead of
// waitlisting them for a seat that can't open.
func TestMemberNoListenerSeats(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	c := h.memberCircle("Grief circle", 4, true)
	wantContains(t, h.run(h.fac, "circle edit", discordsim.O("circle", circlePick(c)), discordsim.O("listener_seats", 0)).Content, "listener seats: 0")
	u := h.members[0]

	r := h.run(u, "join", discordsim.O("circle", circlePick(c)))
	if labels := buttonLabels(r); labels != "I agree — join|Cancel" {
		t.Fatalf("join buttons %s", labels)
	}
	if strings.Contains(r.Content, "listener") {
		t.Fatalf("the join screen talks of listening: %q", r.Content)
	}
	wantContains(t, responseText(h.run(u, "circles")), "Listener seats\nNo listener seats")

	got := h.memberClickAs(u, h.guild, bot.CustomID{Action: "join", GuildID: h.guild, CircleID: c.ID, Version: 1, UserID: u, Arg: "listener"})
	wantContains(t, got, "doesn't have listener seats", "join as a member")
	if m := h.memberStatus(c, u); m.Status != "" {
		t.Fatalf("a listener join went through: %+v", m)
	}
}

// memberFullCircle makes "Grief circle" with its two speaking seats taken,
// one by a, and w first on the waitlist.
func (h *harness) memberFullCircle(listeners bool) (c circles.Circle, a, w string) {
	h.t.Helper()
	c = h.memberCircle("Grief circle", 2, listeners)
	a, w = h.members[0], h.members[1]
	h.memberJoin(h.members[9], c, circles.ModeMember)
	h.memberJoin(a, c, circles.ModeMember)
	wantContains(h.t, h.memberJoin(w, c, circles.ModeMember).Content, "#1 on the waitlist")
	return c, a, w
}

func buttonLabels(r *discordsim.Response) string {
	var labels []string
	for _, b := range r.Buttons() {
		labels = append(labels, b.Label)
	}
	return strings.Join(labels, "|")
}

// After a guidelines change, /mycircles asks everyone with stale consent
// to /join again, and /join lets them: someone waitlisted renews and
// keeps their place; a member renewing as a listener is told both what
// changed and that their consent is recorded.
func TestMemberStaleConsentRenewsThroughJoin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	c := h.memberCircle("Grief circle", 2, true)
	a, b, w1, w2 := h.members[0], h.members[1], h.members[2], h.members[3]
	h.memberJoin(a, c, circles.ModeMember)
	h.memberJoin(b, c, circles.ModeMember)
	h.memberJoin(w1, c, circles.ModeMember)
	wantContains(t, h.memberJoin(w2, c, circles.ModeMember).Content, "#2 on the waitlist")
	h.saveGuidelines(h.fac, c, "Be kind. New rule.")

	wantContains(t, responseText(h.run(w1, "mycircles")), "run /join Grief circle to read and consent again")
	r := h.run(w1, "join", discordsim.O("circle", circlePick(c)))
	wantContains(t, r.Content, "guidelines of Grief circle have changed", "#1 on the waitlist")
	if len(r.Embeds) != 1 || r.Embeds[0].Description != "Be kind. New rule." {
		t.Fatalf("renewal screen without the new guidelines: %+v", r.Embeds)
	}
	r = h.clickOn(w1, r, "join", "member")
	wantContains(t, r.Content, "version 2) is recorded", "still **#1 on the waitlist**")
	if m := h.memberStatus(c, w1); m.Status != circles.StatusWaitlisted || m.ConsentVersion != 2 {
		t.Fatalf("after renewing on the waitlist: %+v", m)
	}
	wantContains(t, h.run(w1, "join", discordsim.O("circle", circlePick(c))).Content, "#1 on the waitlist", "I'll DM you")

	r = h.clickOn(a, h.run(a, "join", discordsim.O("circle", circlePick(c))), "join", "listener")
	wantContains(t, r.Content, "now a **listener**", "consent to its new guidelines (version 2) is recorded")
	// a's speaking seat went to w1, whose consent is current: told they're in.
	if m := h.memberStatus(c, w1); m.Status != circles.StatusActive {
		t.Fatalf("w1 after a's switch: %+v", m)
	}
	if h.dmsContaining(w1, "you're in now") != 1 {
		t.Fatalf("w1 not told: %+v", h.sim.DMs(w1))
	}
}
