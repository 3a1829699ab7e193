package bot_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// facSetup configures the guild as /setup would, through the store, so
// these tests don't depend on the admin feature. /circle is hidden from
// members without Manage Channels (its default permission), so the
// facilitator role gets it, as a server would set it up.
func (h *harness) facSetup() {
	h.t.Helper()
	h.sim.SetRolePermissions(h.guild, h.facRole, discordgo.PermissionManageChannels)
	err := h.store.SaveGuildSettings(h.ctx, circles.GuildSettings{
		GuildID: h.guild, OwnerID: h.admin, FacilitatorRoleID: h.facRole, CategoryID: h.category,
		RetentionHours: 24, ReminderMinutes: 60, Configured: true,
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// facCreate runs /circle create as user with a weekly Tuesday 19:00 rule
// unless opts say otherwise.
func (h *harness) facCreate(user, name string, opts ...discordsim.Opt) *discordsim.Response {
	h.t.Helper()
	all := []discordsim.Opt{discordsim.O("name", name), discordsim.O("kind", "peer")}
	if len(opts) == 0 {
		opts = []discordsim.Opt{discordsim.O("weekday", "Tuesday"), discordsim.O("time", "19:00")}
	}
	return h.run(user, "circle create", append(all, opts...)...)
}

var facTimestampRe = regexp.MustCompile(`<t:(\d+):F>`)

// facTimestamps returns the unix times of the <t:…:F> stamps in s.
func facTimestamps(s string) []string {
	var out []string
	for _, m := range facTimestampRe.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

func facItoa(v int64) string { return strconv.FormatInt(v, 10) }

func (h *harness) facPlanned(circleID int64) []circles.Session {
	h.t.Helper()
	s, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: circleID, States: []circles.SessionState{circles.SessionPlanned}})
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) facCircleCount() int {
	h.t.Helper()
	list, err := h.store.Circles(h.ctx, h.guild, circles.CircleFilter{IncludeArchived: true})
	if err != nil {
		h.t.Fatal(err)
	}
	return len(list)
}

func (h *harness) facJoin(user string, c circles.Circle, mode circles.Mode) circles.JoinResult {
	h.t.Helper()
	res, err := h.store.Join(h.ctx, circles.JoinRequest{GuildID: h.guild, CircleID: c.ID, UserID: user, Mode: mode, GuidelinesVersion: c.Guidelines.Version}, h.clock.Now())
	if err != nil {
		h.t.Fatalf("join %s: %v", user, err)
	}
	return res
}

func choiceValues(cs []discordsim.Choice) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Value.(string))
	}
	return out
}

func TestFacilitatorCreate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O

	// Before /setup: an explanation, nothing stored.
	h.sim.SetRolePermissions(h.guild, h.facRole, discordgo.PermissionManageChannels)
	r := h.facCreate(h.fac, "Grief circle")
	wantContains(t, r.Content, "/setup")
	if n := h.facCircleCount(); n != 0 {
		t.Fatalf("%d circles stored before setup", n)
	}
	h.facSetup()

	// Someone who can see the command (Manage Channels) but isn't a
	// facilitator is refused on the server side.
	mod := h.sim.AddUser("mo-moderator")
	h.sim.AddMember(h.guild, mod, h.sim.AddRole(h.guild, "Mods", discordgo.PermissionManageChannels))
	r = h.facCreate(mod, "Grief circle")
	wantContains(t, r.Content, "Only facilitators")
	if !r.Ephemeral || h.facCircleCount() != 0 {
		t.Fatalf("refusal: ephemeral=%v circles=%d", r.Ephemeral, h.facCircleCount())
	}

	r = h.facCreate(h.fac, "Grief circle", O("weekday", "Tuesday"), O("time", "19:00"), O("topic", "For anyone grieving"))
	if !r.Ephemeral {
		t.Fatal("create reply is public")
	}
	text := responseText(r)
	wantContains(t, text, "Grief circle", "Every Tuesday at 19:00 (Europe/Berlin), 60 minutes", "/circle guidelines", "/circle prompts", "/join", "What is shared here stays here")
	c := h.circle("Grief circle")
	if len(c.Facilitators) != 1 || c.Facilitators[0] != h.fac || c.Capacity != 10 || c.Schedule.TimeZone != "Europe/Berlin" || c.Schedule.Duration != time.Hour || c.Topic != "For anyone grieving" {
		t.Fatalf("stored circle %+v", c)
	}
	// Tuesday 1 December 2026 19:00 in Berlin is 18:00 UTC.
	first := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	stamps := facTimestamps(text)
	want := []string{facItoa(first.Unix()), facItoa(first.AddDate(0, 0, 7).Unix()), facItoa(first.AddDate(0, 0, 14).Unix())}
	if strings.Join(stamps, ",") != strings.Join(want, ",") {
		t.Fatalf("next sessions %v, want %v", stamps, want)
	}
	if p := h.facPlanned(c.ID); len(p) != 1 || !p[0].Start.Equal(first) {
		t.Fatalf("planned sessions %+v, want one at %v", p, first)
	}

	// Bad input: a clear message each time, and nothing stored.
	for _, tc := range []struct {
		opts []discordsim.Opt
		want string
	}{
		{[]discordsim.Opt{O("weekday", "Tuesday"), O("time", "7 pm")}, "24-hour HH:MM"},
		{[]discordsim.Opt{O("weekday", "Tuesday"), O("time", "19:00"), O("timezone", "Mars/Olympus")}, "not a time zone"},
		{[]discordsim.Opt{O("topic", "no schedule")}, "give weekday and time"},
		{[]discordsim.Opt{O("weekday", "Tuesday")}, "start time"},
		{[]discordsim.Opt{O("time", "19:00")}, "weekday"},
		{[]discordsim.Opt{O("weekday", "Tuesday"), O("time", "19:00"), O("cron", "0 19 * * TUE")}, "not both"},
		{[]discordsim.Opt{O("cron", "0 19 30 2 *")}, "never matches"},
		{[]discordsim.Opt{O("cron", "0 9,10 * * MON"), O("duration", 90)}, "overlap"},
		{[]discordsim.Opt{O("cron", "*/30 * * * *")}, "at least 1 hour apart"},
	} {
		r := h.facCreate(h.fac, "Another circle", tc.opts...)
		wantContains(t, r.Content, tc.want)
	}
	r = h.facCreate(h.fac, "grief CIRCLE")
	wantContains(t, r.Content, "already has a circle")
	if n := h.facCircleCount(); n != 1 {
		t.Fatalf("%d circles after refused creates, want 1", n)
	}

	// A cron rule in another zone, by the second facilitator.
	r = h.facCreate(h.fac2, "Parents circle", O("cron", "0 19 * * TUE,THU"), O("timezone", "America/New_York"), O("duration", 90), O("capacity", 8), O("listeners", false))
	wantContains(t, responseText(r), "cron schedule `0 19 * * TUE,THU` in America/New_York, 90 minutes", "no listeners")
	p := h.circle("Parents circle")
	if p.Capacity != 8 || p.ListenersAllowed || p.Schedule.Duration != 90*time.Minute {
		t.Fatalf("stored %+v", p)
	}
	// Thursday 26 November 2026 19:00 in New York is 00:00 UTC on the 27th.
	if stamps := facTimestamps(responseText(r)); len(stamps) != 3 || stamps[0] != facItoa(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).Unix()) {
		t.Fatalf("cron next sessions %v", stamps)
	}

	// Autocomplete: time zones, and only the circles one may change.
	zones, err := h.sim.Autocomplete(h.ctx, h.fac, h.guild, "circle create", "timezone", "berl")
	if err != nil || len(zones) == 0 || zones[0].Value != "Europe/Berlin" {
		t.Fatalf("timezone autocomplete for berl: %v %v", zones, err)
	}
	zones, _ = h.sim.Autocomplete(h.ctx, h.fac, h.guild, "circle schedule", "timezone", "", O("circle", "x"))
	if len(zones) == 0 || len(zones) > 25 || !strings.Contains(strings.Join(choiceValues(zones), ","), "Europe/London") {
		t.Fatalf("empty timezone autocomplete: %v", zones)
	}
	zones, _ = h.sim.Autocomplete(h.ctx, h.fac, h.guild, "circle create", "timezone", "new york")
	if len(zones) == 0 || zones[0].Value != "America/New_York" {
		t.Fatalf("timezone autocomplete for new york: %v", zones)
	}
	for user, want := range map[string]string{h.fac: "Grief circle", h.fac2: "Parents circle", h.admin: "Grief circle,Parents circle"} {
		got, err := h.sim.Autocomplete(h.ctx, user, h.guild, "circle edit", "circle", "")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != want {
			t.Errorf("circle autocomplete for %s: %v, want %s", user, names, want)
		}
	}
}

func TestFacilitatorEdit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	h.facCreate(h.fac, "Circle A")
	h.facCreate(h.fac2, "Circle B")
	a, b := h.circle("Circle A"), h.circle("Circle B")

	// fac can't change fac2's circle; nothing changes.
	r := h.run(h.fac, "circle edit", O("circle", circlePick(b)), O("capacity", 4))
	wantContains(t, r.Content, "Only the facilitators of Circle B")
	if h.circle("Circle B").Capacity != 10 {
		t.Fatal("refused edit changed capacity")
	}
	for _, sub := range []string{"skip", "roster", "archive", "guidelines"} {
		r := h.run(h.fac, "circle "+sub, O("circle", "Circle B"))
		wantContains(t, r.Content, "Only the facilitators of Circle B")
	}
	// An admin can.
	r = h.run(h.admin, "circle edit", O("circle", circlePick(b)), O("capacity", 4), O("topic", "Small and quiet"), O("listener_seats", 2))
	wantContains(t, r.Content, "Saved changes to **Circle B**", "speaking seats: 4")
	if got := h.circle("Circle B"); got.Capacity != 4 || got.Topic != "Small and quiet" || got.ListenerCap != 2 {
		t.Fatalf("admin edit: %+v", got)
	}

	// Nothing given: say what can be changed.
	r = h.run(h.fac, "circle edit", O("circle", "Circle A"))
	wantContains(t, r.Content, "Nothing to change", "add_facilitator")
	// Bad input changes nothing.
	r = h.run(h.fac, "circle edit", O("circle", "Circle A"), O("name", "circle b"), O("capacity", 5))
	wantContains(t, r.Content, "already has a circle")
	r = h.run(h.fac, "circle edit", O("circle", "Circle A"), O("topic", "hi @everyone"), O("capacity", 5))
	wantContains(t, r.Content, "mentions")
	if got := h.circle("Circle A"); got.Capacity != 10 || got.Topic != "" {
		t.Fatalf("refused edits changed the circle: %+v", got)
	}
	// Co-facilitators must be in the server.
	stranger := h.sim.AddUser("stranger")
	r = h.run(h.fac, "circle edit", O("circle", "Circle A"), O("add_facilitator", stranger))
	wantContains(t, r.Content, "isn't a member of this server")
	r = h.run(h.fac, "circle edit", O("circle", "Circle A"), O("add_facilitator", h.fac2), O("facilitator_gate", false), O("name", "Circle Alpha"))
	wantContains(t, r.Content, "added facilitator <@"+h.fac2+">", "facilitator alert off")
	if got := h.circle("Circle Alpha"); !got.IsFacilitator(h.fac2) || got.FacilitatorGate || got.ID != a.ID {
		t.Fatalf("after adding fac2: %+v", got)
	}
	// Now fac2 may change Circle Alpha.
	r = h.run(h.fac2, "circle edit", O("circle", "Circle Alpha"), O("remove_facilitator", h.fac))
	wantContains(t, r.Content, "removed facilitator <@"+h.fac+">")
	// The last facilitator can't be removed.
	r = h.run(h.fac2, "circle edit", O("circle", "Circle Alpha"), O("remove_facilitator", h.fac2))
	wantContains(t, r.Content, "only facilitator")
	if got := h.circle("Circle Alpha"); len(got.Facilitators) != 1 || got.Facilitators[0] != h.fac2 {
		t.Fatalf("facilitators %v", got.Facilitators)
	}
	// fac is no longer a facilitator of it.
	r = h.run(h.fac, "circle edit", O("circle", "Circle Alpha"), O("capacity", 3))
	wantContains(t, r.Content, "Only the facilitators")
	// Archiving can be cancelled.
	r = h.run(h.admin, "circle archive", O("circle", "Circle B"))
	r = h.clickOn(h.admin, r, "archive", "cancel")
	wantContains(t, r.Content, "Nothing was archived")
	if len(r.Buttons()) != 0 || h.circle("Circle B").Archived {
		t.Fatalf("cancelled archive: buttons %v archived %v", r.Buttons(), h.circle("Circle B").Archived)
	}
	// Edits never ping: every interaction answer carries empty parse.
	answers := 0
	for _, rq := range h.sim.Requests() {
		if !strings.HasSuffix(rq.Path, "/callback") || !strings.Contains(string(rq.Body), `\u003c@`) { // JSON escapes <
			continue
		}
		answers++
		if !strings.Contains(string(rq.Body), `"parse":[]`) {
			t.Fatalf("answer without allowed_mentions parse []: %s", rq.Body)
		}
	}
	if answers == 0 {
		t.Fatal("no interaction answers with mentions recorded")
	}
}

func TestFacilitatorGuidelinesAndPrompts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	h.facCreate(h.fac, "Grief circle")
	c := h.circle("Grief circle")
	h.run(h.fac, "circle edit", O("circle", "Grief circle"), O("add_facilitator", h.fac2))
	h.facJoin(h.members[0], c, circles.ModeMember)
	h.facJoin(h.members[1], c, circles.ModeListener)

	open := func(user string) *discordsim.Modal {
		t.Helper()
		r := h.run(user, "circle guidelines", O("circle", "Grief circle"))
		if r.Modal == nil || len(r.Modal.Inputs) != 1 {
			t.Fatalf("no guidelines modal: %+v", r)
		}
		return r.Modal
	}
	submit := func(user string, m *discordsim.Modal, text string) (*discordsim.Response, error) {
		return h.sim.SubmitModal(h.ctx, user, h.guild, h.sim.GeneralChannelID(h.guild), m.CustomID, map[string]string{m.Inputs[0].CustomID: text})
	}

	m := open(h.fac)
	id, err := bot.DecodeCustomID(m.CustomID)
	if err != nil || id.Action != "guidelines" || id.CircleID != c.ID || id.Version != 1 || id.UserID != h.fac || id.GuildID != h.guild {
		t.Fatalf("modal custom_id %+v %v", id, err)
	}
	if m.Inputs[0].Value != circles.DefaultGuidelines || m.Inputs[0].MaxLength != 4000 {
		t.Fatalf("modal input %+v", m.Inputs[0])
	}
	r, err := submit(h.fac, m, "Be kind.\nWhat is said here stays here.")
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, r.Content, "version 2", "2 members will be asked to agree")
	c = h.circle("Grief circle")
	if c.Guidelines.Version != 2 || c.Guidelines.Text != "Be kind.\nWhat is said here stays here." {
		t.Fatalf("guidelines %+v", c.Guidelines)
	}
	ms, _ := h.store.Membership(h.ctx, h.guild, c.ID, h.members[0])
	if ms.Status != circles.StatusActive || ms.HasCurrentConsent(c.Guidelines.Version) {
		t.Fatalf("membership after new guidelines: %+v", ms)
	}
	roster := responseText(h.run(h.fac, "circle roster", O("circle", "Grief circle")))
	wantContains(t, roster, "needs to re-consent")

	// Two editors at once: the second save is refused and changes nothing.
	m1, m2 := open(h.fac), open(h.fac2)
	if _, err := submit(h.fac2, m2, "Version three."); err != nil {
		t.Fatal(err)
	}
	r, err = submit(h.fac, m1, "Version three, by someone else.")
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, r.Content, "Someone else changed the guidelines")
	if c = h.circle("Grief circle"); c.Guidelines.Version != 3 || c.Guidelines.Text != "Version three." {
		t.Fatalf("stale save changed guidelines: %+v", c.Guidelines)
	}

	// 4001 characters: the client refuses (the modal says 4000), and a
	// tampered client that sends them anyway is refused by the bot.
	long := strings.Repeat("a", 4001)
	if _, err := submit(h.fac, open(h.fac), long); err == nil {
		t.Fatal("the simulated client accepted 4001 characters")
	}
	rec := &recorder{}
	h.bot.Router().Handle(h.ctx, rec, &discordgo.Interaction{
		ID: "1", Type: discordgo.InteractionModalSubmit, GuildID: h.guild,
		Member: &discordgo.Member{User: &discordgo.User{ID: h.fac}, Roles: []string{h.facRole}},
		Data: discordgo.ModalSubmitInteractionData{
			CustomID: bot.CustomID{Action: "guidelines", GuildID: h.guild, CircleID: c.ID, Version: 3, UserID: h.fac}.Encode(),
			Components: []discordgo.MessageComponent{&discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				&discordgo.TextInput{CustomID: m.Inputs[0].CustomID, Value: long}}}},
		},
	})
	if rec.resp == nil || rec.resp.Data == nil {
		t.Fatal("no answer to the tampered submit")
	}
	wantContains(t, rec.resp.Data.Content, "at most 4000 characters", "4001")
	// Another user's modal custom_id is refused too.
	rec = &recorder{}
	h.bot.Router().Handle(h.ctx, rec, &discordgo.Interaction{
		ID: "2", Type: discordgo.InteractionModalSubmit, GuildID: h.guild,
		Member: &discordgo.Member{User: &discordgo.User{ID: h.fac2}, Roles: []string{h.facRole}},
		Data: discordgo.ModalSubmitInteractionData{
			CustomID: bot.CustomID{Action: "guidelines", GuildID: h.guild, CircleID: c.ID, Version: 3, UserID: h.fac}.Encode(),
			Components: []discordgo.MessageComponent{&discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				&discordgo.TextInput{CustomID: m.Inputs[0].CustomID, Value: "Hijacked"}}}},
		},
	})
	wantContains(t, rec.resp.Data.Content, "belongs to someone else")
	if c = h.circle("Grief circle"); c.Guidelines.Version != 3 {
		t.Fatalf("refused saves changed guidelines: %+v", c.Guidelines)
	}

	// Prompts, one per line.
	r = h.run(h.fac, "circle prompts", O("circle", "Grief circle"))
	if r.Modal == nil {
		t.Fatalf("no prompts modal: %+v", r)
	}
	pm := r.Modal
	r, err = h.sim.SubmitModal(h.ctx, h.fac, h.guild, h.sim.GeneralChannelID(h.guild), pm.CustomID, map[string]string{pm.Inputs[0].CustomID: "How was your week?\n\nWhat helped?\n  What will you carry forward?  "})
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, r.Content, "Saved 3 prompts", "first is posted when a session opens", "18, 36 minutes")
	if c = h.circle("Grief circle"); strings.Join(c.Prompts, "|") != "How was your week?|What helped?|What will you carry forward?" {
		t.Fatalf("prompts %q", c.Prompts)
	}
	r = h.run(h.fac, "circle prompts", O("circle", "Grief circle"))
	if r.Modal.Inputs[0].Value != strings.Join(c.Prompts, "\n") {
		t.Fatalf("prompts modal not prefilled: %q", r.Modal.Inputs[0].Value)
	}
	r, _ = h.sim.SubmitModal(h.ctx, h.fac, h.guild, h.sim.GeneralChannelID(h.guild), r.Modal.CustomID, map[string]string{pm.Inputs[0].CustomID: strings.Repeat("prompt\n", 11)})
	wantContains(t, r.Content, "at most 10 prompts")
	if len(h.circle("Grief circle").Prompts) != 3 {
		t.Fatal("refused prompts were saved")
	}
}

func TestFacilitatorScheduleAndSkip(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	h.clock.Set(time.Date(2027, 3, 20, 12, 0, 0, 0, time.UTC)) // a Saturday, before Berlin's clocks go forward
	r := h.facCreate(h.fac, "Night owls", O("weekday", "Sunday"), O("time", "02:30"))
	wantContains(t, responseText(r), "02:30 does not exist on 28 Mar 2027", "this session starts at 03:00")
	c := h.circle("Night owls")

	// Show: the rule in words, the next three, the DST note.
	r = h.run(h.fac, "circle schedule", O("circle", "Night owls"))
	text := responseText(r)
	wantContains(t, text, "Every Sunday at 02:30 (Europe/Berlin)", "Shift", "this session starts at 03:00")
	want := []time.Time{
		time.Date(2027, 3, 21, 1, 30, 0, 0, time.UTC), // CET
		time.Date(2027, 3, 28, 1, 0, 0, 0, time.UTC),  // 03:00 CEST
		time.Date(2027, 4, 4, 0, 30, 0, 0, time.UTC),  // CEST
	}
	var ws []string
	for _, w := range want {
		ws = append(ws, facItoa(w.Unix()))
	}
	if got := facTimestamps(text); strings.Join(got, ",") != strings.Join(ws, ",") {
		t.Fatalf("next sessions %v, want %v", got, ws)
	}

	// Only the zone changes: same day and time, other instants.
	r = h.reschedule(h.fac, O("circle", "Night owls"), O("timezone", "America/New_York"))
	text = responseText(r)
	wantContains(t, text, "Every Sunday at 02:30 (America/New_York)")
	ny := time.Date(2027, 3, 21, 6, 30, 0, 0, time.UTC) // 02:30 EDT
	if got := facTimestamps(text); len(got) != 3 || got[0] != facItoa(ny.Unix()) {
		t.Fatalf("after zone change %v, want first %d", got, ny.Unix())
	}
	if p := h.facPlanned(c.ID); len(p) != 1 || !p[0].Start.Equal(ny) {
		t.Fatalf("planned after zone change %+v", p)
	}
	// A cron spec replaces weekday+time; then time alone isn't enough.
	r = h.reschedule(h.fac, O("circle", "Night owls"), O("cron", "0 19 * * TUE"), O("timezone", "Europe/Berlin"))
	wantContains(t, responseText(r), "`0 19 * * TUE` in Europe/Berlin")
	r = h.reschedule(h.fac, O("circle", "Night owls"), O("time", "20:00"))
	wantContains(t, r.Content, "weekday")
	r = h.reschedule(h.fac, O("circle", "Night owls"), O("cron", "0 9,10 * * MON"), O("duration", 90))
	wantContains(t, r.Content, "overlap")
	if c = h.circle("Night owls"); c.Schedule.Cron != "0 19 * * TUE" {
		t.Fatalf("refused schedule change stored: %+v", c.Schedule)
	}
	tue := time.Date(2027, 3, 23, 18, 0, 0, 0, time.UTC)     // 19:00 CET
	nextTue := time.Date(2027, 3, 30, 17, 0, 0, 0, time.UTC) // 19:00 CEST
	if p := h.facPlanned(c.ID); len(p) != 1 || !p[0].Start.Equal(tue) {
		t.Fatalf("planned after cron change %+v", p)
	}

	// Skip: the next one is skipped, the one after planned, members told.
	h.facJoin(h.members[0], c, circles.ModeMember)
	r = h.run(h.fac, "circle skip", O("circle", "Night owls"))
	wantContains(t, r.Content, "Skipped", "<t:"+facItoa(tue.Unix())+":F>", "<t:"+facItoa(nextTue.Unix())+":F>", "told 1 member")
	sk, _ := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionSkipped}})
	if len(sk) != 1 || !sk[0].Start.Equal(tue) {
		t.Fatalf("skipped %+v", sk)
	}
	if p := h.facPlanned(c.ID); len(p) != 1 || !p[0].Start.Equal(nextTue) {
		t.Fatalf("planned after skip %+v", p)
	}
	if dms := h.sim.DMs(h.members[0]); len(dms) != 1 || !strings.Contains(dms[0].Content, "skipped") {
		t.Fatalf("skip DM %+v", dms)
	}
	// The schedule view leaves out the skipped one.
	if got := facTimestamps(responseText(h.run(h.fac, "circle schedule", O("circle", "Night owls")))); len(got) != 3 || got[0] != facItoa(nextTue.Unix()) {
		t.Fatalf("schedule after skip %v", got)
	}
}

func TestFacilitatorRosterRemoveOpenArchive(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	h.facCreate(h.fac, "Grief circle", O("weekday", "Tuesday"), O("time", "19:00"), O("capacity", 2))
	c := h.circle("Grief circle")
	m := h.members
	h.facJoin(m[0], c, circles.ModeMember)
	h.facJoin(m[1], c, circles.ModeMember)
	if res := h.facJoin(m[2], c, circles.ModeMember); res.Position != 1 {
		t.Fatalf("m2 waitlist position %d", res.Position)
	}
	h.facJoin(m[3], c, circles.ModeMember)
	h.facJoin(m[4], c, circles.ModeListener)

	r := h.run(h.fac, "circle roster", O("circle", "Grief circle"))
	if !r.Ephemeral {
		t.Fatal("roster is public")
	}
	text := responseText(r)
	wantContains(t, text, "<@"+m[0]+"> · member · ✓ consent current", "<@"+m[4]+"> · listener", "1. <@"+m[2]+">", "2. <@"+m[3]+">", "Seats: 2/2 speaking")
	if strings.Index(text, "1. <@"+m[2]) > strings.Index(text, "2. <@"+m[3]) {
		t.Fatal("waitlist out of order")
	}

	// Remove: a facilitator can't be removed this way.
	r = h.run(h.fac, "circle remove", O("circle", "Grief circle"), O("member", h.fac))
	wantContains(t, r.Content, "remove_facilitator")
	r = h.run(h.fac, "circle remove", O("circle", "Grief circle"), O("member", m[0]))
	wantContains(t, r.Content, "Removed <@"+m[0]+">", "<@"+m[2]+"> moved up")
	ms, _ := h.store.Membership(h.ctx, h.guild, c.ID, m[0])
	if ms.Status != circles.StatusRemoved || ms.RemovedBy != h.fac {
		t.Fatalf("removed membership %+v", ms)
	}
	if p, _ := h.store.Membership(h.ctx, h.guild, c.ID, m[2]); p.Status != circles.StatusActive {
		t.Fatalf("waitlisted member not promoted: %+v", p)
	}
	if err := h.sim.WaitFor(h.ctx, func() bool { return len(h.sim.DMs(m[0])) > 0 && len(h.sim.DMs(m[2])) > 0 }); err != nil {
		t.Fatal(err)
	}
	wantContains(t, h.sim.DMs(m[0])[0].Content, "A facilitator has removed you from **Grief circle**")
	_, err := h.store.Join(h.ctx, circles.JoinRequest{GuildID: h.guild, CircleID: c.ID, UserID: m[0], Mode: circles.ModeMember, GuidelinesVersion: 1}, h.clock.Now())
	if circles.ErrorCode(err) != circles.EForbidden {
		t.Fatalf("removed member rejoined: %v", err)
	}
	wantContains(t, responseText(h.run(h.fac, "circle roster", O("circle", "Grief circle"))), "Removed (1)", "<@"+m[0]+">", "lift with /circle remove lift:true")
	r = h.run(h.fac, "circle remove", O("circle", "Grief circle"), O("member", m[0]), O("lift", true))
	wantContains(t, r.Content, "Lifted the removal")
	// Errors say what to do instead.
	r = h.run(h.fac, "circle remove", O("circle", "Grief circle"), O("member", m[0]), O("lift", true))
	wantContains(t, r.Content, "isn't removed from Grief circle", "/circle roster")
	r = h.run(h.fac, "circle remove", O("circle", "Grief circle"), O("member", m[9]))
	wantContains(t, r.Content, "isn't in Grief circle or on its waitlist", "/circle roster")
	if _, err := h.store.Join(h.ctx, circles.JoinRequest{GuildID: h.guild, CircleID: c.ID, UserID: m[0], Mode: circles.ModeMember, GuidelinesVersion: 1}, h.clock.Now()); err != nil {
		t.Fatalf("join after lift: %v", err)
	}

	// Open and close now.
	r = h.run(h.fac, "circle close", O("circle", "Grief circle"))
	wantContains(t, r.Content, "has no open session to close", "The next one starts <t:", "use /circle open")
	r = h.run(h.fac, "circle open", O("circle", "Grief circle"))
	wantContains(t, r.Content, "Opened a session of **Grief circle**")
	open, _ := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
	if len(open) != 1 {
		t.Fatalf("open sessions %+v", open)
	}
	if open[0].ChannelID == "" {
		t.Fatal("opened session has no channel")
	}
	wantContains(t, r.Content, "<#"+open[0].ChannelID+">")
	if _, ok := h.sim.Channel(open[0].ChannelID); !ok {
		t.Fatal("session channel missing in the simulator")
	}
	r = h.run(h.fac, "circle open", O("circle", "Grief circle"))
	wantContains(t, r.Content, "already has an open session")
	r = h.run(h.fac, "circle close", O("circle", "Grief circle"))
	wantContains(t, r.Content, "Closed the session of **Grief circle**")
	if s, _ := h.store.Session(h.ctx, open[0].ID); s.State != circles.SessionClosed {
		t.Fatalf("closed session state %s", s.State)
	}

	// Archive: confirm, planned sessions cancelled, members told.
	before := len(h.sim.DMs(m[1]))
	r = h.run(h.fac, "circle archive", O("circle", "Grief circle"))
	wantContains(t, r.Content, "Archive **Grief circle**?")
	if h.circle("Grief circle").Archived {
		t.Fatal("archived before confirming")
	}
	r = h.clickOn(h.fac, r, "archive", "confirm")
	wantContains(t, r.Content, "Archived **Grief circle**")
	if !h.circle("Grief circle").Archived {
		t.Fatal("not archived")
	}
	if _, err := h.bot.Scheduler().RunDue(h.ctx); err != nil {
		t.Fatal(err)
	}
	if p := h.facPlanned(c.ID); len(p) != 0 {
		t.Fatalf("planned sessions after archive: %+v", p)
	}
	if dms := h.sim.DMs(m[1]); len(dms) != before+1 || !strings.Contains(dms[len(dms)-1].Content, "archived") {
		t.Fatalf("archive DM %+v", dms)
	}
	r = h.run(h.fac, "circle skip", O("circle", "Grief circle"))
	wantContains(t, r.Content, "archived")
	r = h.run(h.fac, "circle close", O("circle", "Grief circle"))
	wantContains(t, r.Content, "is archived and has no open session")
}

// A circle picked from the autocomplete list is that circle, even when
// another circle's name is the picked one's ID.
func TestFacilitatorCirclePickIsUnambiguous(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	h.facCreate(h.fac, "Circle A")
	a := h.circle("Circle A")
	h.facCreate(h.fac, facItoa(a.ID)) // a circle named "1" when Circle A is circle 1
	named := h.circle(facItoa(a.ID))
	pick := func(user, path, typed string) string {
		t.Helper()
		choices, err := h.sim.Autocomplete(h.ctx, user, h.guild, path, "circle", typed)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range choices {
			if c.Name == "Circle A" {
				return c.Value.(string)
			}
		}
		t.Fatalf("/%s autocomplete offers no Circle A: %+v", path, choices)
		return ""
	}

	// /join: the pick opens Circle A; typing the other's name opens that one.
	r := h.run(h.members[0], "join", O("circle", pick(h.members[0], "join", "Circle")))
	wantContains(t, r.Content, "Before you join Circle A")
	r = h.run(h.members[0], "join", O("circle", named.Name))
	wantContains(t, r.Content, "Before you join "+named.Name)
	r = h.clickOn(h.members[0], h.run(h.members[0], "join", O("circle", pick(h.members[0], "join", ""))), "join", "member")
	if m, _ := h.store.Membership(h.ctx, h.guild, a.ID, h.members[0]); m.Status != circles.StatusActive {
		t.Fatalf("joined the wrong circle: %+v", m)
	}
	// /leave offers the circles one is in, with the same kind of value.
	wantContains(t, h.run(h.members[0], "leave", O("circle", pick(h.members[0], "leave", ""))).Content, "Leave **Circle A**?")
	// A /circle subcommand.
	wantContains(t, responseText(h.run(h.fac, "circle roster", O("circle", pick(h.fac, "circle roster", "")))), "Roster of Circle A", "<@"+h.members[0]+">")
	wantContains(t, responseText(h.run(h.fac, "circle roster", O("circle", named.Name))), "Roster of "+named.Name, "Nobody has joined yet")
	// A pick of a circle that is gone, or of another server's, says so.
	wantContains(t, h.run(h.members[1], "join", O("circle", "id:999")).Content, "doesn't exist in this server")
	// Names that would look like a pick are refused, kindly.
	r = h.facCreate(h.fac, "ID:7 circle")
	wantContains(t, r.Content, "can't start with \"id:\"", "choose another name")
	if h.facCircleCount() != 2 {
		t.Fatal("a circle named like a pick was created")
	}
}

// A co-facilitator must already be able to use /circle: the facilitator
// role (or Manage Server) is what lets them in, and taking the role away
// takes that away again.
func TestFacilitatorAddFacilitatorNeedsTheRole(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	h.facCreate(h.fac, "Circle A")
	plain := h.members[0]
	mods := h.sim.AddRole(h.guild, "Mods", discordgo.PermissionManageChannels)
	managers := h.sim.AddRole(h.guild, "Managers", discordgo.PermissionManageGuild|discordgo.PermissionManageChannels)
	manager := h.members[1]
	h.sim.AddMember(h.guild, manager, managers)

	r := h.run(h.fac, "circle edit", O("circle", "Circle A"), O("add_facilitator", plain))
	wantContains(t, r.Content, "<@"+plain+"> needs the <@&"+h.facRole+"> role first", "ask a server admin")
	if !r.Ephemeral || h.circle("Circle A").IsFacilitator(plain) {
		t.Fatalf("someone without the role was added: ephemeral %v, %v", r.Ephemeral, h.circle("Circle A").Facilitators)
	}
	r = h.run(h.fac, "circle edit", O("circle", "Circle A"), O("add_facilitator", h.sim.AddUser("stranger")))
	wantContains(t, r.Content, "isn't a member of this server")

	// The role, Manage Server (by a role, or as the owner) are enough.
	for _, who := range []string{h.fac2, manager, h.admin} {
		r = h.run(h.fac, "circle edit", O("circle", "Circle A"), O("add_facilitator", who))
		wantContains(t, r.Content, "added facilitator <@"+who+">")
	}
	// And they can then run /circle on it.
	wantContains(t, responseText(h.run(h.fac2, "circle roster", O("circle", "Circle A"))), "Roster of Circle A")
	wantContains(t, responseText(h.run(manager, "circle roster", O("circle", "Circle A"))), "Roster of Circle A")
	// Once given the role, the plain member can be added too.
	h.sim.AddMember(h.guild, plain, h.facRole)
	wantContains(t, h.run(h.fac, "circle edit", O("circle", "Circle A"), O("add_facilitator", plain)).Content, "added facilitator <@"+plain+">")

	// A facilitator whose role is taken away loses /circle, even on a
	// circle they co-facilitate.
	h.sim.AddMember(h.guild, h.fac2, mods)
	r = h.run(h.fac2, "circle roster", O("circle", "Circle A"))
	wantContains(t, r.Content, "Only facilitators")
	if len(r.Embeds) != 0 {
		t.Fatal("a demoted facilitator saw the roster")
	}
}

// Circle names: 1–64 characters, no mentions; each refusal says what to
// fix and creates or changes nothing, for /circle create and /circle edit.
func TestFacilitatorCircleNameLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	h.facCreate(h.fac, "Grief circle")
	long := strings.Repeat("n", 65)

	// The client enforces 64 characters; a modified client doesn't.
	if _, err := h.sim.RunCommand(h.ctx, h.fac, h.guild, "circle create", O("name", long), O("kind", "peer"), O("weekday", "Monday"), O("time", "18:00")); err == nil {
		t.Fatal("the simulated client sent a 65-character name")
	}
	forged := h.forgeCommand(h.fac, []string{h.facRole}, discordgo.PermissionManageChannels, "circle create", O("name", long), O("kind", "peer"), O("weekday", "Monday"), O("time", "18:00"))
	wantContains(t, forged.Data.Content, "at most 64 characters", "has 65", "shorten it by 1")
	if forged.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Fatal("the refusal is public")
	}
	forged = h.forgeCommand(h.fac, []string{h.facRole}, discordgo.PermissionManageChannels, "circle edit", O("circle", "Grief circle"), O("name", long))
	wantContains(t, forged.Data.Content, "at most 64 characters", "shorten it by 1")

	bad := []struct{ name, want string }{
		{"   ", "Please give the circle a name of 1 to 64 characters"},
		{"Circle for <@" + h.members[0] + ">", "can't contain mentions"},
		{"<@&" + h.facRole + "> only", "can't contain mentions"},
		{"@everyone welcome", "can't contain mentions"},
		{"Chat @here", "can't contain mentions"},
	}
	for _, tc := range bad {
		r := h.facCreate(h.fac, tc.name)
		wantRefusal(t, "create "+tc.name, r, tc.want)
		r = h.run(h.fac, "circle edit", O("circle", "Grief circle"), O("name", tc.name))
		wantRefusal(t, "edit "+tc.name, r, tc.want)
	}
	h.facCreate(h.fac, " x ") // one character is fine
	h.circle("x")
	if n := h.facCircleCount(); n != 2 {
		t.Fatalf("%d circles after refused names, want 2", n)
	}
	if c := h.circle("Grief circle"); c.Name != "Grief circle" {
		t.Fatalf("refused renames changed the name to %q", c.Name)
	}
	// 64 characters are fine.
	ok := strings.Repeat("o", 64)
	wantContains(t, h.run(h.fac, "circle edit", O("circle", "Grief circle"), O("name", ok)).Content, "Saved changes", ok)
}

// Listener seats default to the circle's capacity, whether that came from
// capacity: or from defaults.capacity.
func TestFacilitatorCreateListenerSeatsFollowCapacity(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *bot.Options, _ *discordsim.Options) { o.Defaults.Capacity = 8 })
	O := discordsim.O
	h.facSetup()
	for _, tc := range []struct {
		name     string
		capacity []discordsim.Opt
		want     int
	}{
		{"Six seats", []discordsim.Opt{O("capacity", 6)}, 6},
		{"Twenty-five seats", []discordsim.Opt{O("capacity", 25)}, 25},
		{"Default seats", nil, 8},
	} {
		r := h.facCreate(h.fac, tc.name, append([]discordsim.Opt{O("weekday", "Tuesday"), O("time", "19:00")}, tc.capacity...)...)
		n := strconv.Itoa(tc.want)
		wantContains(t, responseText(r), n+" speaking, "+n+" listening")
		if c := h.circle(tc.name); c.Capacity != tc.want || c.ListenerSeats() != tc.want {
			t.Errorf("%s: stored %d speaking and %d listener seats, want %d of each", tc.name, c.Capacity, c.ListenerSeats(), tc.want)
		}
	}
}

// Raising the capacity gives the new seat to the first on the waitlist at
// once: they are told by DM, the reply says so, and an open session's
// channel lets them in.
func TestFacilitatorCapacityRaisePromotes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	c := h.memberCircle("Night owls", 2, false)
	for _, u := range h.members[:3] {
		h.memberJoin(u, c, circles.ModeMember)
	}
	waiting := h.members[2]
	if m := h.memberStatus(c, waiting); m.Status != circles.StatusWaitlisted {
		t.Fatalf("third joiner %+v, want waitlisted", m)
	}
	h.run(h.fac, "circle open", discordsim.O("circle", circlePick(c)))
	sessions, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
	if err != nil || len(sessions) != 1 {
		t.Fatalf("open sessions %v %v", sessions, err)
	}
	ch := sessions[0].ChannelID
	if h.sim.CanView(waiting, ch) {
		t.Fatal("a waitlisted person sees the session channel")
	}
	dms := len(h.sim.DMs(waiting))

	r := h.run(h.fac, "circle edit", discordsim.O("circle", circlePick(c)), discordsim.O("capacity", 3))
	wantContains(t, r.Content, "speaking seats: 3", "<@"+waiting+"> moved up from the waitlist")
	if m := h.memberStatus(c, waiting); m.Status != circles.StatusActive {
		t.Fatalf("after the raise %+v, want active", m)
	}
	if !h.sim.CanSend(waiting, ch) {
		t.Fatal("the promoted member can't write in the open session")
	}
	got := h.sim.DMs(waiting)
	if len(got) != dms+1 || !strings.Contains(got[len(got)-1].Content, "A seat opened up in **Night owls**") {
		t.Fatalf("promotion DMs %+v", got[dms:])
	}
}

// An archived circle changes no more: /circle edit, remove (and lift),
// prompts and guidelines refuse it kindly, so does a form opened before
// the archive; it leaves its members' /mycircles and the facilitators'
// autocomplete.
func TestFacilitatorArchivedCircleRefusesChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	h.facCreate(h.fac, "Grief circle")
	h.facCreate(h.fac, "Quiet circle")
	c, quiet := h.circle("Grief circle"), h.circle("Quiet circle")
	member, removed := h.members[0], h.members[1]
	h.facJoin(member, c, circles.ModeMember)
	h.facJoin(removed, c, circles.ModeMember)
	wantContains(t, h.run(h.fac, "circle remove", O("circle", circlePick(c)), O("member", removed)).Content, "Removed")
	oldForm := h.run(h.fac, "circle prompts", O("circle", circlePick(c))).Modal
	h.clickOn(h.fac, h.run(h.fac, "circle archive", O("circle", circlePick(c))), "archive", "confirm")

	for _, tc := range []struct {
		path string
		opts []discordsim.Opt
	}{
		{"circle edit", []discordsim.Opt{O("capacity", 5)}},
		{"circle edit", []discordsim.Opt{O("add_facilitator", h.fac2)}},
		{"circle remove", []discordsim.Opt{O("member", member)}},
		{"circle remove", []discordsim.Opt{O("member", removed), O("lift", true)}},
		{"circle prompts", nil},
		{"circle guidelines", nil},
	} {
		r := h.run(h.fac, tc.path, append([]discordsim.Opt{O("circle", circlePick(c))}, tc.opts...)...)
		if r.Modal != nil || !r.Ephemeral || !strings.Contains(r.Content, "Grief circle is archived, so it can't be changed any more") {
			t.Errorf("/%s on an archived circle: %+v", tc.path, r)
		}
	}
	r, err := h.sim.SubmitModal(h.ctx, h.fac, h.guild, h.sim.GeneralChannelID(h.guild), oldForm.CustomID, map[string]string{oldForm.Inputs[0].CustomID: "A prompt"})
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, r.Content, "archived")
	got := h.circle("Grief circle")
	if got.Capacity != c.Capacity || got.IsFacilitator(h.fac2) || len(got.Prompts) != 0 || got.Guidelines.Version != 1 {
		t.Fatalf("the archived circle changed: %+v", got)
	}
	if h.memberStatus(c, member).Status != circles.StatusActive || h.memberStatus(c, removed).Status != circles.StatusRemoved {
		t.Fatal("memberships of the archived circle changed")
	}

	my := h.run(member, "mycircles")
	if strings.Contains(responseText(my), "Grief circle") || len(my.Buttons()) != 0 {
		t.Fatalf("/mycircles lists the archived circle: %s %+v", responseText(my), my.Buttons())
	}
	choices, err := h.sim.Autocomplete(h.ctx, h.fac, h.guild, "circle edit", "circle", "")
	if err != nil {
		t.Fatal(err)
	}
	if vals := strings.Join(choiceValues(choices), ","); vals != circlePick(quiet) {
		t.Fatalf("facilitator autocomplete offers %s, want only the live circle %s", vals, circlePick(quiet))
	}
}

// Two facilitators editing the prompts at once: the second save would undo
// the first without either knowing, so it is refused, saying what to do.
func TestFacilitatorPromptsConcurrentEditRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	h.facCreate(h.fac, "Grief circle")
	wantContains(t, h.run(h.fac, "circle edit", O("circle", "Grief circle"), O("add_facilitator", h.fac2)).Content, "added facilitator")
	open := func(user string) *discordsim.Modal {
		t.Helper()
		r := h.run(user, "circle prompts", O("circle", "Grief circle"))
		if r.Modal == nil {
			t.Fatalf("no prompts modal: %q", r.Content)
		}
		if id, err := bot.DecodeCustomID(r.Modal.CustomID); err != nil || len(r.Modal.CustomID) > 100 || id.Arg == "" {
			t.Fatalf("prompts form custom_id %q: %+v %v", r.Modal.CustomID, id, err)
		}
		return r.Modal
	}
	submit := func(user string, m *discordsim.Modal, text string) string {
		t.Helper()
		r, err := h.sim.SubmitModal(h.ctx, user, h.guild, h.sim.GeneralChannelID(h.guild), m.CustomID, map[string]string{m.Inputs[0].CustomID: text})
		if err != nil {
			t.Fatal(err)
		}
		return r.Content
	}

	first, second := open(h.fac), open(h.fac2)
	wantContains(t, submit(h.fac2, second, "What helped?\nWhat was hard?"), "Saved 2 prompts")
	got := submit(h.fac, first, "How are you?")
	wantContains(t, got, "Someone else changed the prompts of Grief circle", "nothing was saved", "Run /circle prompts again")
	if p := h.circle("Grief circle").Prompts; strings.Join(p, "|") != "What helped?|What was hard?" {
		t.Fatalf("the stale save changed the prompts: %q", p)
	}
	// A form opened on the current prompts saves.
	wantContains(t, submit(h.fac, open(h.fac), "How are you?"), "Saved 1 prompt")
	if p := h.circle("Grief circle").Prompts; strings.Join(p, "|") != "How are you?" {
		t.Fatalf("prompts %q", p)
	}
}
