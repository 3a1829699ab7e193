package bot_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// lcSetup runs /setup and, should the admin feature not answer it yet,
// stores the same settings directly, so these tests depend only on the
// lifecycle. The facilitator role gets Manage Channels so /circle is
// visible to it.
func (h *harness) lcSetup(retentionHours, reminderMinutes int) {
	h.t.Helper()
	h.sim.SetRolePermissions(h.guild, h.facRole, discordgo.PermissionManageChannels)
	h.setup(discordsim.O("retention_hours", retentionHours), discordsim.O("reminder_minutes", reminderMinutes))
	g, err := h.store.GuildSettings(h.ctx, h.guild)
	if err == nil && g.Configured && g.CategoryID == h.category && g.RetentionHours == retentionHours && g.ReminderMinutes == reminderMinutes {
		return
	}
	err = h.store.SaveGuildSettings(h.ctx, circles.GuildSettings{
		GuildID: h.guild, OwnerID: h.admin, FacilitatorRoleID: h.facRole, CategoryID: h.category,
		RetentionHours: retentionHours, ReminderMinutes: reminderMinutes, Configured: true,
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// lcCircle creates a circle through the store, facilitated by h.fac,
// meeting weekly at the given Berlin wall-clock time for an hour, and plans
// its first session.
func (h *harness) lcCircle(name string, day time.Weekday, hour, minute int, edit func(*circles.Circle)) (circles.Circle, circles.Session) {
	h.t.Helper()
	c := circles.NewCircle(h.guild, name, circles.KindPeer, circles.Weekly(day, hour, minute, "Europe/Berlin", time.Hour), h.fac, h.clock.Now())
	if edit != nil {
		edit(&c)
	}
	if err := h.store.CreateCircle(h.ctx, &c); err != nil {
		h.t.Fatal(err)
	}
	s, err := h.bot.Scheduler().Plan(h.ctx, c.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return c, s
}

// lcWithMember sets the guild up, creates a circle meeting Wednesdays at
// 14:00 with its first session planned, and seats h.members[0] in it.
func (h *harness) lcWithMember(retentionHours, reminderMinutes int, name string) (circles.Circle, circles.Session) {
	h.t.Helper()
	h.lcSetup(retentionHours, reminderMinutes)
	c, s := h.lcCircle(name, time.Wednesday, 14, 0, nil)
	h.lcJoin(c, h.members[0], circles.ModeMember)
	return c, s
}

func (h *harness) lcJoin(c circles.Circle, user string, mode circles.Mode) circles.JoinResult {
	h.t.Helper()
	res, err := h.store.Join(h.ctx, circles.JoinRequest{GuildID: h.guild, CircleID: c.ID, UserID: user, Mode: mode, GuidelinesVersion: c.Guidelines.Version}, h.clock.Now())
	if err != nil {
		h.t.Fatalf("join %s: %v", user, err)
	}
	return res
}

// lcOpened creates a circle meeting Wednesdays at 14:00 with one member
// and runs the open of its first session.
func (h *harness) lcOpened(name string) (circles.Circle, circles.Session) {
	h.t.Helper()
	c, s := h.lcCircle(name, time.Wednesday, 14, 0, nil)
	h.lcJoin(c, h.members[0], circles.ModeMember)
	h.lcAt(s.Start)
	return c, h.lcSession(s.ID)
}

// lcAt moves the clock to t and runs what is due.
func (h *harness) lcAt(t time.Time) {
	h.t.Helper()
	h.clock.Set(t)
	if _, err := h.bot.Scheduler().RunDue(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) lcSession(id int64) circles.Session {
	h.t.Helper()
	s, err := h.store.Session(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// lcBotMessages returns the parts of the bot's messages in a channel,
// oldest first: each one's content, if any, then its embeds' titles (the
// opening message is the welcome, the guidelines and the first prompt).
func (h *harness) lcBotMessages(channelID string) []string {
	var out []string
	for _, m := range h.sim.Messages(channelID) {
		if m.AuthorID != h.sim.BotUserID() {
			continue
		}
		if m.Content != "" {
			out = append(out, m.Content)
		}
		for _, e := range m.Embeds {
			out = append(out, e.Title)
		}
	}
	return out
}

// lcCount counts messages starting with prefix.
func lcCount(msgs []string, prefix string) int {
	n := 0
	for _, m := range msgs {
		if strings.HasPrefix(m, prefix) {
			n++
		}
	}
	return n
}

// lcSessionChannels lists the guild's channels carrying a session marker.
func (h *harness) lcSessionChannels(sessionID int64) []discordsim.Channel {
	var out []discordsim.Channel
	for _, ch := range h.sim.Channels(h.guild) {
		if circles.SessionIDFromTopic(ch.Topic) == sessionID {
			out = append(out, ch)
		}
	}
	return out
}

func lcLastDM(t *testing.T, h *harness, user string) discordsim.Message {
	t.Helper()
	dms := h.sim.DMs(user)
	if len(dms) == 0 {
		t.Fatalf("no DM to %s", user)
	}
	return dms[len(dms)-1]
}

var berlin, _ = time.LoadLocation("Europe/Berlin")

// TestLifecycleFullSession walks one session from reminder to deletion on
// the manual clock and checks every message the bot sent carried
// allowed_mentions that ping nobody unintended.
func TestLifecycleFullSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	m := h.members
	prompts := []string{"What brought you here today?", "What helped you this week?", "What do you want to take with you?"}
	c, s := h.lcCircle("Grief circle", time.Wednesday, 14, 0, func(c *circles.Circle) {
		c.Capacity = 3
		c.Prompts = prompts
	})
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, berlin)
	if !s.Start.Equal(start) {
		t.Fatalf("planned %v, want %v", s.Start, start)
	}
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcJoin(c, m[1], circles.ModeMember)
	h.lcJoin(c, m[2], circles.ModeListener)
	h.lcJoin(c, m[3], circles.ModeMember)
	if res := h.lcJoin(c, m[4], circles.ModeMember); res.Membership.Status != circles.StatusWaitlisted {
		t.Fatalf("m4 %+v, want waitlisted", res.Membership)
	}
	outsider := m[5]
	if _, err := h.store.SetRSVP(h.ctx, h.guild, s.ID, m[1], circles.RSVPSkip, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := h.store.SetReminders(h.ctx, h.guild, c.ID, m[3], false, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h.sim.SetDMsClosed(m[2], true)

	// Reminder time (an hour ahead): DMs with RSVP buttons, to those who
	// want them and haven't said skip; closed DMs are logged, not retried.
	h.lcAt(start.Add(-time.Hour))
	if !h.lcSession(s.ID).RemindersSent {
		t.Fatal("reminders not recorded")
	}
	rem := lcLastDM(t, h, m[0])
	wantContains(t, rem.Content, "Grief circle", fmt.Sprintf("<t:%d:F>", start.Unix()), fmt.Sprintf("<t:%d:R>", start.Unix()))
	var answers []string
	for _, b := range rem.Buttons() {
		id, err := bot.DecodeCustomID(b.CustomID)
		if err != nil || id.Action != "rsvp" || id.SessionID != s.ID || id.CircleID != c.ID || id.GuildID != h.guild || id.UserID != m[0] {
			t.Fatalf("reminder button %+v (%v)", id, err)
		}
		answers = append(answers, id.Arg)
	}
	if !slices.Equal(answers, []string{"going", "skip"}) {
		t.Fatalf("reminder buttons %v", answers)
	}
	// The buttons work from the DM (an interaction without a guild).
	h.click(m[0], rem.ChannelID, rem.ID, rem.Buttons(), "rsvp", "going")
	if rs, err := h.store.RSVPs(h.ctx, s.ID); err != nil || !slices.ContainsFunc(rs, func(r circles.RSVP) bool { return r.UserID == m[0] && r.Status == circles.RSVPGoing }) {
		t.Fatalf("RSVP from the reminder DM not recorded: %+v %v", rs, err)
	}
	for _, u := range []string{m[1], m[3], m[4], outsider} {
		if n := len(h.sim.DMs(u)); n != 0 {
			t.Errorf("%s got %d reminder DMs", u, n)
		}
	}
	if n := len(h.sim.DMs(h.fac)); n != 1 {
		t.Errorf("facilitator got %d reminder DMs, want 1", n)
	}
	before := len(h.sim.Requests())
	h.lcAt(start.Add(-30 * time.Minute))
	if n := len(h.sim.Requests()) - before; n != 0 {
		t.Fatalf("%d requests after reminders were done (retrying closed DMs?)", n)
	}
	if _, err := h.store.SetRSVP(h.ctx, h.guild, s.ID, h.fac, circles.RSVPGoing, h.clock.Now()); err != nil {
		t.Fatal(err)
	}

	// Start: the channel, its permissions and the opening messages.
	h.lcAt(start)
	s = h.lcSession(s.ID)
	if s.State != circles.SessionOpen || s.ChannelID == "" || s.PromptsPosted != 1 {
		t.Fatalf("after open %+v", s)
	}
	ch, ok := h.sim.Channel(s.ChannelID)
	if !ok {
		t.Fatal("channel not created")
	}
	if ch.ParentID != h.category || ch.Name != "grief-circle-2026-11-25" {
		t.Fatalf("channel %q in %s", ch.Name, ch.ParentID)
	}
	wantContains(t, ch.Topic, "Grief circle", "peer support, not therapy", s.Marker())
	ow := func(id string) discordsim.Overwrite {
		o, ok := ch.Overwrite(id)
		if !ok {
			t.Fatalf("no overwrite for %s", id)
		}
		return o
	}
	V, S, H, M := int64(discordgo.PermissionViewChannel), int64(discordgo.PermissionSendMessages), int64(discordgo.PermissionReadMessageHistory), int64(discordgo.PermissionManageMessages)
	MC, E, P := int64(discordgo.PermissionManageChannels), int64(discordgo.PermissionEmbedLinks), bot.PermissionPinMessages
	// Exactly the channel model of docs/ARCHITECTURE.md: the first design
	// plus EMBED_LINKS for the bot (the guidelines are an embed), READ_MESSAGE_HISTORY for the bot (its
	// crash recovery reads its own opening messages) and for facilitators
	// (moderating means seeing what was said before they came), and
	// PIN_MESSAGES for both (Manage Messages no longer covers pinning).
	if o := ow(h.guild); o.Deny != V || o.Allow != 0 {
		t.Errorf("@everyone %+v", o)
	}
	if o := ow(h.sim.BotUserID()); o.Allow != V|S|MC|M|H|E|P || o.Deny != 0 {
		t.Errorf("bot %+v", o)
	}
	if o := ow(m[0]); o.Allow != V|S|H || o.Deny != 0 {
		t.Errorf("member %+v", o)
	}
	if o := ow(m[2]); o.Allow != V|H || o.Deny != S {
		t.Errorf("listener %+v", o)
	}
	if o := ow(h.fac); o.Allow != V|S|M|H|P || o.Deny != 0 {
		t.Errorf("facilitator %+v", o)
	}
	for _, u := range []string{m[4], outsider, h.fac2} {
		if _, ok := ch.Overwrite(u); ok || h.sim.CanView(u, ch.ID) {
			t.Errorf("%s (waitlisted / not a member) can see the session", u)
		}
	}
	for _, u := range []string{m[0], m[1], m[3], h.fac} {
		if !h.sim.CanSend(u, ch.ID) {
			t.Errorf("%s can't speak in the session", u)
		}
	}
	if !h.sim.CanView(m[2], ch.ID) || h.sim.CanSend(m[2], ch.ID) {
		t.Error("the listener should read but not speak")
	}

	// One opening message, pinned: the welcome, the guidelines and the
	// first prompt.
	pins := h.sim.Pins(ch.ID)
	if len(pins) != 1 || pins[0].ID != s.GuidelinesMessageID || len(pins[0].Embeds) != 2 {
		t.Fatalf("pins %+v", pins)
	}
	wantContains(t, pins[0].Embeds[0].Title, "Guidelines v1")
	wantContains(t, pins[0].Embeds[0].Description, "stays here")
	wantContains(t, pins[0].Embeds[1].Title, "Prompt 1 of 3")
	wantContains(t, pins[0].Embeds[1].Description, prompts[0])
	msgs := h.sim.Messages(ch.ID)
	if len(msgs) != 1 {
		t.Fatalf("%d opening messages, want one", len(msgs))
	}
	welcome := msgs[0]
	wantContains(t, welcome.Content, "peer support, not therapy", "just listen", "stays here", "/helpnow")
	// Mentioned: the attendees — everyone let in except m[1], who RSVP'd
	// skip (and may still come in).
	attendees := []string{h.fac, m[0], m[2], m[3]}
	sort.Strings(attendees)
	got := slices.Clone(welcome.AllowedMentions.Users)
	sort.Strings(got)
	if !slices.Equal(got, attendees) || len(welcome.AllowedMentions.Parse) != 0 {
		t.Fatalf("welcome allowed_mentions %+v, want users %v and no parse", welcome.AllowedMentions, attendees)
	}
	for _, u := range attendees {
		wantContains(t, welcome.Content, "<@"+u+">")
	}
	if strings.Contains(welcome.Content, m[1]) {
		t.Fatalf("the welcome mentions a member who RSVP'd skip: %q", welcome.Content)
	}

	// Flag to facilitators: a link, never the content, only in sessions.
	r, err := h.sim.MessageCommand(h.ctx, m[0], h.guild, bot.FlagCommand, ch.ID, msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Ephemeral || r.Content != "Thanks — the facilitators have been told privately." {
		t.Fatalf("flag reply %+v", r)
	}
	flag := lcLastDM(t, h, h.fac)
	wantContains(t, flag.Content, fmt.Sprintf("https://discord.com/channels/%s/%s/%s", h.guild, ch.ID, msgs[0].ID))
	if strings.Contains(flag.Content, prompts[0]) || strings.Contains(flag.Content, m[0]) {
		t.Fatalf("flag DM leaks the message or the flagger: %q", flag.Content)
	}
	general := h.sim.GeneralChannelID(h.guild)
	gm, err := h.bot.Session().ChannelMessageSendComplex(general, &discordgo.MessageSend{Content: "hello", AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err = h.sim.MessageCommand(h.ctx, m[0], h.guild, bot.FlagCommand, general, gm.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, r.Content, "session channel")
	if n := len(h.sim.DMs(h.fac)); n != 2 {
		t.Fatalf("facilitator has %d DMs after a refused flag, want 2", n)
	}

	// Prompts spread over the session, then the 5-minute warning.
	times := circles.PromptTimes(s.Start, s.End, 3)
	h.lcAt(times[1])
	h.lcAt(times[2])
	h.lcAt(s.End.Add(-5 * time.Minute))
	texts := h.lcBotMessages(ch.ID)
	if len(texts) != 6 || !strings.Contains(texts[3], prompts[1]) || !strings.Contains(texts[4], prompts[2]) {
		t.Fatalf("messages %q", texts)
	}
	wantContains(t, texts[5], "5 minutes left")

	// End: locked for everyone but the bot; closing note with the next time.
	h.lcAt(s.End)
	s = h.lcSession(s.ID)
	if s.State != circles.SessionClosed {
		t.Fatalf("state %s after end", s.State)
	}
	for _, u := range append(attendees, m[1]) {
		if h.sim.CanSend(u, ch.ID) {
			t.Errorf("%s can still send after close", u)
		}
		if !h.sim.CanView(u, ch.ID) {
			t.Errorf("%s can't read the closed session", u)
		}
	}
	if !h.sim.CanSend(h.sim.BotUserID(), ch.ID) {
		t.Error("the bot can't send after close")
	}
	texts = h.lcBotMessages(ch.ID)
	closing := texts[len(texts)-1]
	next := start.AddDate(0, 0, 7)
	wantContains(t, closing, "ended", fmt.Sprintf("<t:%d:F>", next.Unix()), "deleted")

	// Retention: the channel goes.
	h.lcAt(s.End.Add(24 * time.Hour))
	if _, ok := h.sim.Channel(ch.ID); ok {
		t.Fatal("channel not deleted after retention")
	}
	if s = h.lcSession(s.ID); s.State != circles.SessionDeleted {
		t.Fatalf("state %s after retention", s.State)
	}

	lcCheckAllowedMentions(t, h.sim.Requests())
}

// lcCheckAllowedMentions: every request that creates or edits a message
// carries allowed_mentions with an empty parse list.
func lcCheckAllowedMentions(t *testing.T, reqs []discordsim.Request) {
	t.Helper()
	checked := 0
	for _, r := range reqs {
		var body map[string]json.RawMessage
		switch {
		case r.Method == "POST" && r.Route == "/channels/{channel_id}/messages",
			(r.Method == "POST" || r.Method == "PATCH") && strings.HasPrefix(r.Route, "/webhooks/"):
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("%s %s: %v", r.Method, r.Path, err)
			}
		case r.Method == "POST" && strings.HasSuffix(r.Route, "/callback"):
			var cb struct {
				Type int                        `json:"type"`
				Data map[string]json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(r.Body, &cb); err != nil {
				t.Fatalf("%s %s: %v", r.Method, r.Path, err)
			}
			if cb.Type != 4 && cb.Type != 7 {
				continue // deferrals, autocomplete, modals carry no message
			}
			body = cb.Data
		default:
			continue
		}
		var am struct {
			Parse *[]string `json:"parse"`
			Users []string  `json:"users"`
		}
		raw, ok := body["allowed_mentions"]
		if !ok || json.Unmarshal(raw, &am) != nil || am.Parse == nil || len(*am.Parse) != 0 {
			t.Errorf("%s %s without allowed_mentions.parse=[]: %s", r.Method, r.Route, r.Body)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d message requests checked", checked)
	}
}

// TestLifecycleConsent: stale consent keeps a member out and asks them by
// DM; agreeing lets them in mid-session; removal takes access away at once.
func TestLifecycleConsent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	m := h.members
	c, s := h.lcCircle("Night owls", time.Wednesday, 14, 0, nil)
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcJoin(c, m[1], circles.ModeMember)
	h.lcJoin(c, m[2], circles.ModeMember)
	h.lcJoin(c, m[3], circles.ModeListener)
	c, _, err := h.store.UpdateCircle(h.ctx, h.guild, c.ID, func(c *circles.Circle) error {
		_, err := c.SetGuidelines(circles.DefaultGuidelines + "\n7. Cameras off; this is a text circle.")
		return err
	})
	if err != nil || c.Guidelines.Version != 2 {
		t.Fatalf("guidelines v%d: %v", c.Guidelines.Version, err)
	}
	for _, u := range []string{m[0], m[2], m[3]} {
		if _, err := h.store.Reconsent(h.ctx, h.guild, c.ID, u, 2, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}

	// The reminder to the stale member is a re-consent request.
	h.lcAt(s.Start.Add(-time.Hour))
	dm := lcLastDM(t, h, m[1])
	wantContains(t, dm.Content, "guidelines have changed")
	if len(dm.Embeds) != 1 || !strings.Contains(dm.Embeds[0].Title, "Guidelines v2") || !strings.Contains(dm.Embeds[0].Description, "Cameras off") {
		t.Fatalf("re-consent DM embeds %+v", dm.Embeds)
	}

	h.lcAt(s.Start)
	s = h.lcSession(s.ID)
	if s.ChannelID == "" {
		t.Fatal("not opened")
	}
	if h.sim.CanView(m[1], s.ChannelID) {
		t.Fatal("a member with stale consent can see the session")
	}
	if !h.sim.CanView(m[0], s.ChannelID) {
		t.Fatal("a member with current consent can't see the session")
	}
	dm = lcLastDM(t, h, m[1])
	wantContains(t, dm.Content, "has just started")

	// Agreeing from the DM (an interaction without a guild) lets them in.
	r := h.click(m[1], dm.ChannelID, dm.ID, dm.Buttons(), "reconsent", "")
	wantContains(t, r.Content, "Thank you", "version 2", "<#"+s.ChannelID+">")
	if len(r.Buttons()) != 0 {
		t.Fatal("the button is still there after agreeing")
	}
	if !h.sim.CanSend(m[1], s.ChannelID) {
		t.Fatal("re-consent did not let the member in mid-session")
	}
	if ms, _ := h.store.Membership(h.ctx, h.guild, c.ID, m[1]); ms.ConsentVersion != 2 {
		t.Fatalf("consent version %d after agreeing", ms.ConsentVersion)
	}

	// Leaving, removal by a facilitator and leaving the server each take
	// access away at once.
	if !h.sim.CanView(m[3], s.ChannelID) {
		t.Fatal("the listener can't see the session")
	}
	h.clickOn(m[3], h.run(m[3], "leave", discordsim.O("circle", c.Name)), "leave", "confirm")
	if h.sim.CanView(m[3], s.ChannelID) {
		t.Fatal("a member who left can still see the session")
	}
	h.run(h.fac, "circle remove", discordsim.O("circle", c.Name), discordsim.O("member", m[0]))
	if h.sim.CanView(m[0], s.ChannelID) {
		t.Fatal("a removed member can still see the session")
	}
	h.sim.RemoveMember(h.guild, m[2])
	if err := h.sim.WaitFor(h.ctx, func() bool {
		ch, _ := h.sim.Channel(s.ChannelID)
		_, ok := ch.Overwrite(m[2])
		return !ok
	}); err != nil {
		t.Fatal("the overwrite of a member who left the server stayed:", err)
	}
	if !h.sim.CanSend(m[1], s.ChannelID) {
		t.Fatal("others lost access too")
	}
	lcCheckAllowedMentions(t, h.sim.Requests())
}

// TestLifecycleGatePostponeShift: the facilitator-presence gate posts a
// notice and alerts facilitators, or postpones when the circle asks for
// it; a DST-shifted session is announced to facilitators.
func TestLifecycleGatePostponeShift(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(0, 0)
	m := h.members
	gated, gs := h.lcCircle("Gated", time.Wednesday, 14, 0, nil)
	postponed, ps := h.lcCircle("Postponed", time.Wednesday, 14, 0, func(c *circles.Circle) { c.PostponeWithoutFacilitator = true })
	h.lcJoin(gated, m[0], circles.ModeMember)
	h.lcJoin(postponed, m[1], circles.ModeMember)

	h.lcAt(gs.Start)
	gs = h.lcSession(gs.ID)
	if !gs.FacilitatorAlerted || gs.ChannelID == "" {
		t.Fatalf("gated session %+v", gs)
	}
	texts := h.lcBotMessages(gs.ChannelID)
	if lcCount(texts, "🕊️ **A facilitator may not be here today.**") != 1 {
		t.Fatalf("messages %q", texts)
	}
	wantContains(t, texts[len(texts)-1], "gentle", "/helpnow")
	var alerted bool
	for _, d := range h.sim.DMs(h.fac) {
		alerted = alerted || (strings.Contains(d.Content, "no facilitator said they're going") && strings.Contains(d.Content, "<#"+gs.ChannelID+">"))
	}
	if !alerted {
		t.Fatalf("facilitator DMs %+v", h.sim.DMs(h.fac))
	}

	ps = h.lcSession(ps.ID)
	if ps.State != circles.SessionSkipped || !ps.DueAt.IsZero() || ps.ChannelID != "" || len(h.lcSessionChannels(ps.ID)) != 0 {
		t.Fatalf("postponed session %+v", ps)
	}
	wantContains(t, lcLastDM(t, h, m[1]).Content, "postponed")
	planned, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: postponed.ID, States: []circles.SessionState{circles.SessionPlanned}})
	if err != nil || len(planned) != 1 || !planned[0].Start.Equal(ps.Start.AddDate(0, 0, 7)) {
		t.Fatalf("next after postponing %+v %v", planned, err)
	}

	// A session moved by the spring-forward gap: 02:30 doesn't exist in
	// Berlin on 28 March 2027.
	h.clock.Set(time.Date(2027, 3, 27, 12, 0, 0, 0, time.UTC))
	before := len(h.sim.DMs(h.fac))
	_, ss := h.lcCircle("Early birds", time.Sunday, 2, 30, nil)
	if ss.Shift == "" {
		t.Fatalf("no shift on %v", ss.Start)
	}
	h.lcAt(h.clock.Now())
	var shifts []string
	for _, d := range h.sim.DMs(h.fac)[before:] {
		if strings.Contains(d.Content, "daylight saving") {
			shifts = append(shifts, d.Content)
		}
	}
	if len(shifts) != 1 {
		t.Fatalf("%d shift DMs", len(shifts))
	}
	wantContains(t, shifts[0], "Early birds", ss.Shift, fmt.Sprintf("<t:%d:F>", ss.Start.Unix()))
	if !h.lcSession(ss.ID).ShiftNoticeSent {
		t.Fatal("shift notice not recorded")
	}
}

// lcBotMessage returns the bot's message in a channel starting with prefix.
func (h *harness) lcBotMessage(channelID, prefix string) discordsim.Message {
	h.t.Helper()
	for _, m := range h.sim.Messages(channelID) {
		if m.AuthorID == h.sim.BotUserID() && strings.HasPrefix(m.Content, prefix) {
			return m
		}
	}
	h.t.Fatalf("no bot message %q… in %q", prefix, h.lcBotMessages(channelID))
	return discordsim.Message{}
}

func (h *harness) lcGoing(sessionID int64, user string) bool {
	h.t.Helper()
	rs, err := h.store.RSVPs(h.ctx, sessionID)
	if err != nil {
		h.t.Fatal(err)
	}
	return slices.ContainsFunc(rs, func(r circles.RSVP) bool { return r.UserID == user && r.Status == circles.RSVPGoing })
}

// TestLifecyclePresence: a facilitator is present — for the
// facilitator-presence gate and for members — by pressing "I'm here" on
// the alert DM (recorded as going, let in, and the channel's notice edited
// to say a facilitator joined) or by running /circle open.
func TestLifecyclePresence(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	m := h.members
	const joined = "🕊️ **A facilitator has joined"
	c, s := h.lcCircle("Present", time.Wednesday, 14, 0, func(c *circles.Circle) { c.Facilitators = append(c.Facilitators, h.fac2) })
	h.lcJoin(c, m[0], circles.ModeMember)
	h.lcAt(s.Start)
	s = h.lcSession(s.ID)
	notice := h.lcBotMessage(s.ChannelID, gateText)
	opening := len(h.lcBotMessages(s.ChannelID))
	alert := lcLastDM(t, h, h.fac2)
	wantContains(t, alert.Content, "<#"+s.ChannelID+">", "I'm here")

	// A forged button naming another of the bot's messages (the pinned
	// guidelines) is refused: the real one names only the session, and
	// the notice it edits is the one stored.
	if got := h.lcSession(s.ID); got.GateMessageID != notice.ID {
		t.Fatalf("stored notice %q, posted %q", got.GateMessageID, notice.ID)
	}
	guidelines, _ := h.sim.Message(s.GuidelinesMessageID)
	forged := bot.CustomID{Action: "present", GuildID: h.guild, CircleID: c.ID, SessionID: s.ID, UserID: h.fac2, Arg: "bcdefghijklmn"}
	wantContains(t, h.memberClickAs(h.fac2, "", forged), "no longer works")
	if after, _ := h.sim.Message(s.GuidelinesMessageID); after.Content != guidelines.Content || len(after.Embeds) != 1 || after.Embeds[0].Title != guidelines.Embeds[0].Title {
		t.Fatalf("the forged button changed the guidelines: %+v", after)
	}
	if h.lcGoing(s.ID, h.fac2) {
		t.Fatal("the forged button marked the facilitator present")
	}

	// Their overwrite went missing (edited by hand): pressing lets them in.
	if err := h.bot.Session().ChannelPermissionDelete(s.ChannelID, h.fac2); err != nil {
		t.Fatal(err)
	}
	if h.sim.CanView(h.fac2, s.ChannelID) {
		t.Fatal("the overwrite is still there")
	}
	r := h.click(h.fac2, alert.ChannelID, alert.ID, alert.Buttons(), "present", "")
	wantContains(t, r.Content, "marked as here", "<#"+s.ChannelID+">")
	if len(r.Buttons()) != 0 {
		t.Fatal("the button is still there after pressing it")
	}
	if !h.lcGoing(s.ID, h.fac2) || !h.sim.CanSend(h.fac2, s.ChannelID) {
		t.Fatal("pressing I'm here did not record the facilitator as going and let them in")
	}
	edited, _ := h.sim.Message(notice.ID)
	if !strings.HasPrefix(edited.Content, joined) || !strings.Contains(edited.Content, "<@"+h.fac2+">") {
		t.Fatalf("the notice reads %q", edited.Content)
	}
	if after, _ := h.sim.Message(s.GuidelinesMessageID); len(after.Embeds) != 1 || after.Embeds[0].Title != guidelines.Embeds[0].Title {
		t.Fatalf("pressing changed the guidelines: %+v", after)
	}
	if len(edited.AllowedMentions.Users) != 0 || len(edited.AllowedMentions.Parse) != 0 {
		t.Fatalf("the edited notice pings: %+v", edited.AllowedMentions)
	}
	if n := len(h.lcBotMessages(s.ChannelID)); n != opening {
		t.Fatalf("%d bot messages after pressing, want the %d of the opening", n, opening)
	}

	// The other facilitator arrives with /circle open: present, and nothing
	// is posted (members already know a facilitator is here).
	r = h.run(h.fac, "circle open", discordsim.O("circle", c.Name))
	wantContains(t, r.Content, "already has an open session", "<#"+s.ChannelID+">", "marked as here")
	if !h.lcGoing(s.ID, h.fac) || len(h.lcBotMessages(s.ChannelID)) != opening {
		t.Fatalf("/circle open on the open session: going %v, messages %q", h.lcGoing(s.ID, h.fac), h.lcBotMessages(s.ChannelID))
	}

	// Another gated session: the first facilitator to arrive by /circle
	// open is announced in the notice too.
	c2, s2 := h.lcCircle("Present too", time.Wednesday, 14, 30, nil)
	h.lcJoin(c2, m[1], circles.ModeMember)
	h.lcAt(s2.Start)
	s2 = h.lcSession(s2.ID)
	notice2 := h.lcBotMessage(s2.ChannelID, gateText)
	opening2 := len(h.lcBotMessages(s2.ChannelID))
	h.run(h.fac, "circle open", discordsim.O("circle", c2.Name))
	texts := h.lcBotMessages(s2.ChannelID)
	if edited, _ := h.sim.Message(notice2.ID); !h.lcGoing(s2.ID, h.fac) || !strings.HasPrefix(edited.Content, joined) || len(texts) != opening2 || lcCount(texts, gateText) != 0 {
		t.Fatalf("after /circle open: notice %q, messages %q", edited.Content, texts)
	}

	// Whoever opens a session with /circle open is at it.
	c3, _ := h.lcCircle("Ad hoc", time.Friday, 10, 0, nil)
	wantContains(t, h.run(h.fac, "circle open", discordsim.O("circle", c3.Name)).Content, "Opened a session")
	open, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c3.ID, States: []circles.SessionState{circles.SessionOpen}})
	if err != nil || len(open) != 1 || !h.lcGoing(open[0].ID, h.fac) {
		t.Fatalf("ad-hoc session %+v %v: opener not recorded as going", open, err)
	}

	// Once the session is over the button only says so.
	i := slices.IndexFunc(h.sim.DMs(h.fac), func(d discordsim.Message) bool {
		return strings.Contains(d.Content, "<#"+s2.ChannelID+">") && len(d.Buttons()) == 1
	})
	if i < 0 {
		t.Fatalf("no alert for the second session among %+v", h.sim.DMs(h.fac))
	}
	alert2 := h.sim.DMs(h.fac)[i]
	h.lcAt(s2.End)
	wantContains(t, h.click(h.fac, alert2.ChannelID, alert2.ID, alert2.Buttons(), "present", "").Content, "has ended")
	lcCheckAllowedMentions(t, h.sim.Requests())
}

// TestLifecycleReminderLeadChange: raising the reminder lead in /setup
// moves the reminder of a session already planned.
func TestLifecycleReminderLeadChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	c, s := h.lcCircle("Early birds", time.Thursday, 14, 0, nil)
	h.lcJoin(c, h.members[0], circles.ModeMember)
	if !s.DueAt.Equal(s.Start.Add(-time.Hour)) {
		t.Fatalf("planned due %v", s.DueAt)
	}
	h.run(h.admin, "setup", discordsim.O("reminder_minutes", 180))
	if got := h.lcSession(s.ID); !got.DueAt.Equal(s.Start.Add(-3 * time.Hour)) {
		t.Fatalf("after /setup reminder_minutes:180 the session is due %v, want %v", got.DueAt, s.Start.Add(-3*time.Hour))
	}
	h.lcAt(s.Start.Add(-3 * time.Hour))
	wantContains(t, lcLastDM(t, h, h.members[0]).Content, c.Name, fmt.Sprintf("<t:%d:F>", s.Start.Unix()))
}

// TestLifecycleZoneChange: /circle schedule moving a circle to another time
// zone replaces its planned session; the old time passes quietly and the
// session happens at the new one.
func TestLifecycleZoneChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 60)
	c, s := h.lcCircle("Movers", time.Thursday, 19, 0, nil) // 19:00 Berlin = 18:00 UTC
	h.lcJoin(c, h.members[0], circles.ModeMember)
	newYork, _ := time.LoadLocation("America/New_York")
	ny := time.Date(2026, 11, 26, 19, 0, 0, 0, newYork) // 00:00 UTC on Friday

	r := h.reschedule(h.fac, discordsim.O("circle", c.Name), discordsim.O("timezone", "America/New_York"))
	text := responseText(r)
	wantContains(t, text, "America/New_York", fmt.Sprintf("<t:%d:F>", ny.Unix()), "replaced")
	if strings.Contains(text, fmt.Sprintf("<t:%d:", s.Start.Unix())) {
		t.Fatalf("the reply still shows the old time: %q", text)
	}
	if _, err := h.store.Session(h.ctx, s.ID); circles.ErrorCode(err) != circles.ENotFound {
		t.Fatalf("the old planned session is still there: %v", err)
	}
	planned, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionPlanned}})
	if err != nil || len(planned) != 1 || !planned[0].Start.Equal(ny) || !planned[0].DueAt.Equal(ny.Add(-time.Hour)) {
		t.Fatalf("planned after the zone change %+v %v", planned, err)
	}
	h.lcAt(s.Start)
	if n := len(h.sim.DMs(h.members[0])); n != 0 || len(h.lcSessionChannels(s.ID)) != 0 {
		t.Fatalf("something happened at the old time: %d DMs", n)
	}
	h.lcAt(ny.Add(-time.Hour))
	wantContains(t, lcLastDM(t, h, h.members[0]).Content, fmt.Sprintf("<t:%d:F>", ny.Unix()))
	h.lcAt(ny)
	if got := h.lcSession(planned[0].ID); got.State != circles.SessionOpen || !h.sim.CanSend(h.members[0], got.ChannelID) {
		t.Fatalf("at the new time %+v", got)
	}
}

// TestLifecycleWarningTrustsTheScheduler: whether enough time is left to
// warn is decided once, by the scheduler (schedule.MinWarningLeft); told
// to warn, the bot posts, even with under a minute left.
func TestLifecycleWarningTrustsTheScheduler(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.lcSetup(24, 0)
	c, s := h.lcOpened("Last words")
	h.clock.Set(s.End.Add(-30 * time.Second))
	if err := h.bot.WarnEnding(h.ctx, c, s); err != nil {
		t.Fatal(err)
	}
	if texts := h.lcBotMessages(s.ChannelID); !strings.HasPrefix(texts[len(texts)-1], "⏳ **1 minute left.**") {
		t.Fatalf("messages %q", texts)
	}
}
