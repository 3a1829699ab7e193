package bot_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
)

// Authorisation, end to end: who may run each /circle subcommand, and what
// forged custom_ids (another user's, another server's) and modal submits
// do — nothing, checked against everything the store and the simulated
// server hold.

// snapshot renders everything stored about the given guilds and users, and
// the guilds' channels with their overwrites, so a test can assert that a
// refused request changed nothing at all.
func (h *harness) snapshot(guilds, users []string) string {
	h.t.Helper()
	var sb strings.Builder
	put := func(label string, v any, err error) {
		h.t.Helper()
		if err != nil && circles.ErrorCode(err) != circles.ENotFound {
			h.t.Fatalf("snapshot %s: %v", label, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			h.t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%s %s\n", label, b)
	}
	for _, g := range guilds {
		gs, err := h.store.GuildSettings(h.ctx, g)
		put("settings", gs, err)
		cs, err := h.store.Circles(h.ctx, g, circles.CircleFilter{IncludeArchived: true})
		put("circles", cs, err)
		for _, c := range cs {
			ss, err := h.store.Sessions(h.ctx, circles.SessionFilter{CircleID: c.ID})
			put("sessions", ss, err)
			for _, s := range ss {
				rs, err := h.store.RSVPs(h.ctx, s.ID)
				put("rsvps", rs, err)
			}
			ro, err := h.store.Roster(h.ctx, g, c.ID)
			put("roster", ro, err)
		}
		for _, ch := range h.sim.Channels(g) {
			put("channel", ch, nil)
		}
	}
	for _, u := range users {
		x, err := h.store.ExportUser(h.ctx, "", u, t0)
		put("user "+u, x, err)
	}
	return sb.String()
}

// wantUnchanged fails if the snapshot differs from before, naming the
// first line that changed.
func (h *harness) wantUnchanged(what, before string, guilds, users []string) {
	h.t.Helper()
	after := h.snapshot(guilds, users)
	if after == before {
		return
	}
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			h.t.Fatalf("%s changed state:\nbefore %s\nafter  %s", what, b[i], a[i])
		}
	}
	h.t.Fatalf("%s changed state: %d lines before, %d after", what, len(b), len(a))
}

// secondGuildReady waits until the bot has recorded a guild added to the
// simulator (GUILD_CREATE arrives on its own time) and configures it.
func (h *harness) secondGuildReady(guildID string) {
	h.t.Helper()
	if err := h.sim.WaitFor(h.ctx, func() bool {
		g, err := h.store.GuildSettings(h.ctx, guildID)
		return err == nil && !g.JoinedAt.IsZero()
	}); err != nil {
		h.t.Fatal(err)
	}
	g, err := h.store.GuildSettings(h.ctx, guildID)
	if err != nil {
		h.t.Fatal(err)
	}
	g.FacilitatorRoleID, g.CategoryID, g.Configured = h.sim.AddRole(guildID, "Facilitators", 0), h.sim.AddCategory(guildID, "Circles"), true
	if err := h.store.SaveGuildSettings(h.ctx, g); err != nil {
		h.t.Fatal(err)
	}
}

// handle sends one interaction straight to the router and returns the
// answer it sent.
func (h *harness) handle(i *discordgo.Interaction) *discordgo.InteractionResponse {
	h.t.Helper()
	rec := &recorder{}
	if i.ID == "" {
		i.ID = "42"
	}
	h.bot.Router().Handle(h.ctx, rec, i)
	if rec.resp == nil || rec.resp.Data == nil {
		h.t.Fatalf("no answer to %+v", i)
	}
	return rec.resp
}

// forgeCommand runs a slash command by handing it to the router directly,
// as a modified client could send it: values the simulated client refuses
// (a 65-character name) reach the bot as they are. roles and perms are the
// caller's, as Discord would report them.
func (h *harness) forgeCommand(userID string, roles []string, perms int64, path string, opts ...discordsim.Opt) *discordgo.InteractionResponse {
	h.t.Helper()
	var options []*discordgo.ApplicationCommandInteractionDataOption
	for _, o := range opts {
		opt := &discordgo.ApplicationCommandInteractionDataOption{Name: o.Name, Value: o.Value}
		switch v := o.Value.(type) {
		case string:
			opt.Type = discordgo.ApplicationCommandOptionString
		case int:
			opt.Type, opt.Value = discordgo.ApplicationCommandOptionInteger, float64(v)
		case bool:
			opt.Type = discordgo.ApplicationCommandOptionBoolean
		default:
			h.t.Fatalf("forgeCommand: option %s of type %T", o.Name, o.Value)
		}
		options = append(options, opt)
	}
	parts := strings.Fields(path)
	for i := len(parts) - 1; i > 0; i-- {
		options = []*discordgo.ApplicationCommandInteractionDataOption{{Name: parts[i], Type: discordgo.ApplicationCommandOptionSubCommand, Options: options}}
	}
	return h.handle(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: h.guild,
		Member: &discordgo.Member{User: &discordgo.User{ID: userID}, Roles: roles, Permissions: perms},
		Data:   discordgo.ApplicationCommandInteractionData{Name: parts[0], Options: options}})
}

// forgeModal submits a modal the user was never shown.
func (h *harness) forgeModal(userID string, roles []string, id bot.CustomID, inputID, value string) *discordgo.InteractionResponse {
	h.t.Helper()
	return h.handle(&discordgo.Interaction{Type: discordgo.InteractionModalSubmit, GuildID: h.guild,
		Member: &discordgo.Member{User: &discordgo.User{ID: userID}, Roles: roles},
		Data: discordgo.ModalSubmitInteractionData{CustomID: id.Encode(), Components: []discordgo.MessageComponent{
			&discordgo.ActionsRow{Components: []discordgo.MessageComponent{&discordgo.TextInput{CustomID: inputID, Value: value}}}}}})
}

// wantRefusal fails unless r is a kind, ephemeral refusal containing want,
// with nothing to click and no form.
func wantRefusal(t *testing.T, what string, r *discordsim.Response, want string) {
	t.Helper()
	if r.Modal != nil || len(r.Buttons()) != 0 || !r.Ephemeral {
		t.Fatalf("%s: not an ephemeral refusal: %+v", what, r)
	}
	if !strings.Contains(r.Content, want) {
		t.Fatalf("%s: %q does not contain %q", what, r.Content, want)
	}
}

func TestAuthzEveryCircleSubcommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O
	h.facSetup()
	// plain sees /circle (their role has Manage Channels) but is not a facilitator.
	plain := h.members[11]
	h.sim.AddMember(h.guild, plain, h.sim.AddRole(h.guild, "Helpers", discordgo.PermissionManageChannels))
	h.facCreate(h.fac, "Grief circle")
	c := h.circle("Grief circle")
	h.facJoin(h.members[0], c, circles.ModeMember)
	h.facJoin(h.members[1], c, circles.ModeListener)
	guilds := []string{h.guild}
	users := append([]string{h.admin, h.fac, h.fac2, plain}, h.members...)

	// Without Manage Channels, /circle isn't even offered.
	if _, err := h.sim.RunCommand(h.ctx, h.members[2], h.guild, "circle roster", O("circle", "Grief circle")); err == nil {
		t.Fatal("the simulated client let a plain member run /circle")
	}

	circle := O("circle", "Grief circle")
	subs := []struct {
		sub   string
		opts  []discordsim.Opt
		admin func(r *discordsim.Response) // the admin's answer, checked
	}{
		{"create", []discordsim.Opt{O("name", "Admin circle"), O("kind", "peer"), O("weekday", "Monday"), O("time", "18:00")}, func(r *discordsim.Response) {
			wantContains(t, responseText(r), "Admin circle is ready")
			h.circle("Admin circle")
		}},
		{"edit", []discordsim.Opt{circle, O("capacity", 4)}, func(r *discordsim.Response) {
			wantContains(t, r.Content, "Saved changes to **Grief circle**")
			if h.circle("Grief circle").Capacity != 4 {
				t.Fatal("admin edit not saved")
			}
		}},
		{"guidelines", []discordsim.Opt{circle}, func(r *discordsim.Response) {
			if r.Modal == nil {
				t.Fatalf("admin got no guidelines form: %+v", r)
			}
		}},
		{"prompts", []discordsim.Opt{circle}, func(r *discordsim.Response) {
			if r.Modal == nil {
				t.Fatalf("admin got no prompts form: %+v", r)
			}
		}},
		{"schedule", []discordsim.Opt{circle, O("weekday", "Friday"), O("time", "18:00")}, func(r *discordsim.Response) {
			wantContains(t, responseText(r), "Change when Grief circle meets?", "Every Friday at 18:00")
			if h.circle("Grief circle").Schedule.Weekday == time.Friday {
				t.Fatal("the schedule changed before Save")
			}
			wantContains(t, responseText(h.clickOn(h.admin, r, "schedule", "save")), "New schedule for Grief circle", "Every Friday at 18:00")
		}},
		{"skip", []discordsim.Opt{circle}, func(r *discordsim.Response) {
			wantContains(t, r.Content, "Skipped the session of **Grief circle**")
		}},
		{"open", []discordsim.Opt{circle}, func(r *discordsim.Response) {
			wantContains(t, r.Content, "Opened a session of **Grief circle**")
		}},
		{"close", []discordsim.Opt{circle}, func(r *discordsim.Response) {
			wantContains(t, r.Content, "Closed the session of **Grief circle**")
		}},
		{"roster", []discordsim.Opt{circle}, func(r *discordsim.Response) {
			wantContains(t, responseText(r), "Roster of Grief circle", "<@"+h.members[0]+">")
		}},
		{"remove", []discordsim.Opt{circle, O("member", h.members[0])}, func(r *discordsim.Response) {
			wantContains(t, r.Content, "Removed <@"+h.members[0]+">")
		}},
		{"archive", []discordsim.Opt{circle}, func(r *discordsim.Response) {
			wantContains(t, r.Content, "Archive **Grief circle**?")
			wantContains(t, h.clickOn(h.admin, r, "archive", "confirm").Content, "Archived **Grief circle**")
			if !h.circle("Grief circle").Archived {
				t.Fatal("admin archive not saved")
			}
		}},
	}
	if len(subs) != 11 {
		t.Fatalf("%d subcommands in the table", len(subs))
	}
	for _, tc := range subs {
		before := h.snapshot(guilds, users)
		r := h.run(plain, "circle "+tc.sub, tc.opts...)
		wantRefusal(t, "plain /circle "+tc.sub, r, "Only facilitators")
		wantContains(t, r.Content, "<@&"+h.facRole+">", "ask a server admin")
		h.wantUnchanged("plain /circle "+tc.sub, before, guilds, users)
		if tc.sub == "create" {
			continue
		}
		r = h.run(h.fac2, "circle "+tc.sub, tc.opts...)
		wantRefusal(t, "fac2 /circle "+tc.sub, r, "Only the facilitators of Grief circle (or a server admin)")
		h.wantUnchanged("fac2 /circle "+tc.sub, before, guilds, users)
	}
	// fac2 may create a circle of their own.
	wantContains(t, responseText(h.facCreate(h.fac2, "Femi's circle")), "is ready")
	// An admin may do everything, in this order.
	for _, tc := range subs {
		tc.admin(h.run(h.admin, "circle "+tc.sub, tc.opts...))
	}
	h.wantNoPings()
}

func TestAuthzForgedModalsAndButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.facSetup()
	h.facCreate(h.fac, "Grief circle")
	c := h.circle("Grief circle")
	victim, attacker := h.members[0], h.members[1]
	ch := h.memberOpenSession(c)
	h.memberJoin(victim, c, circles.ModeMember)
	if !h.sim.CanView(victim, ch) {
		t.Fatal("the victim can't see the session channel")
	}
	next := h.facPlanned(c.ID)
	if len(next) == 0 {
		t.Fatal("no planned session")
	}
	// A second server where the attacker is in a circle with stale consent,
	// reminders on and a planned session: a button that acted there would
	// change something.
	other := h.sim.AddGuild("Second harbour", h.admin)
	h.sim.AddMember(other, attacker)
	h.secondGuildReady(other)
	oc := circles.NewCircle(other, "Harbour two", circles.KindPeer, circles.Weekly(time.Thursday, 18, 0, "Europe/Berlin", time.Hour), h.admin, h.clock.Now())
	if err := h.store.CreateCircle(h.ctx, &oc); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.Join(h.ctx, circles.JoinRequest{GuildID: other, CircleID: oc.ID, UserID: attacker, Mode: circles.ModeMember, GuidelinesVersion: 1}, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.store.UpdateCircle(h.ctx, other, oc.ID, func(c *circles.Circle) error { _, err := c.SetGuidelines("New rules."); return err }); err != nil {
		t.Fatal(err)
	}
	osess, err := h.bot.Scheduler().Plan(h.ctx, oc.ID)
	if err != nil {
		t.Fatal(err)
	}
	guilds := []string{h.guild, other}
	users := append([]string{h.admin, h.fac, h.fac2}, h.members...)
	start := h.snapshot(guilds, users)

	// Modal submits: fac2 (a facilitator, not of this circle) and a member,
	// each with a custom_id made out to themselves; and fac's own, sent by fac2.
	for _, tc := range []struct {
		who   string
		roles []string
		owner string
		want  string
	}{
		{h.fac2, []string{h.facRole}, h.fac2, "Only the facilitators of Grief circle"},
		{attacker, nil, attacker, "Only facilitators"},
		{h.fac2, []string{h.facRole}, h.fac, "belongs to someone else"},
	} {
		g := h.forgeModal(tc.who, tc.roles, bot.CustomID{Action: "guidelines", GuildID: h.guild, CircleID: c.ID, Version: 1, UserID: tc.owner}, "text", "Hijacked.")
		wantContains(t, g.Data.Content, tc.want)
		p := h.forgeModal(tc.who, tc.roles, bot.CustomID{Action: "prompts", GuildID: h.guild, CircleID: c.ID, UserID: tc.owner}, "prompts", "Hijacked?")
		wantContains(t, p.Data.Content, tc.want)
		if g.Data.Flags&discordgo.MessageFlagsEphemeral == 0 || p.Data.Flags&discordgo.MessageFlagsEphemeral == 0 {
			t.Fatal("modal refusal is public")
		}
	}
	h.wantUnchanged("forged modals", start, guilds, users)

	// The archive confirm button: fac2's own (not their circle), and fac's clicked by fac2.
	click := func(user, guildID string, roles []string, id bot.CustomID) string {
		t.Helper()
		i := &discordgo.Interaction{Type: discordgo.InteractionMessageComponent, GuildID: guildID,
			Data: discordgo.MessageComponentInteractionData{CustomID: id.Encode(), ComponentType: discordgo.ButtonComponent}}
		if guildID == "" {
			i.User = &discordgo.User{ID: user}
		} else {
			i.Member = &discordgo.Member{User: &discordgo.User{ID: user}, Roles: roles}
		}
		r := h.handle(i)
		if guildID != "" && r.Data.Flags&discordgo.MessageFlagsEphemeral == 0 && r.Type != discordgo.InteractionResponseUpdateMessage {
			t.Fatalf("refusal of %+v is public", id)
		}
		return r.Data.Content
	}
	archive := bot.CustomID{Action: "archive", GuildID: h.guild, CircleID: c.ID, UserID: h.fac2, Arg: "confirm"}
	wantContains(t, click(h.fac2, h.guild, []string{h.facRole}, archive), "Only the facilitators of Grief circle")
	archive.UserID = h.fac
	wantContains(t, click(h.fac2, h.guild, []string{h.facRole}, archive), "belongs to someone else")
	h.wantUnchanged("forged archive", start, guilds, users)

	// Every button action: another user's custom_id, and one made for
	// another server, clicked here. Nothing may change.
	cases := []struct {
		name string
		mine bot.CustomID // as the button would be made for the victim here
		away bot.CustomID // made for the attacker in the other server
	}{
		{"join", bot.CustomID{Action: "join", CircleID: c.ID, Version: 1, Arg: "member"}, bot.CustomID{Action: "join", CircleID: oc.ID, Version: 2, Arg: "member"}},
		{"cancel", bot.CustomID{Action: "cancel"}, bot.CustomID{Action: "cancel"}},
		{"leave", bot.CustomID{Action: "leave", CircleID: c.ID, Arg: "confirm"}, bot.CustomID{Action: "leave", CircleID: oc.ID, Arg: "confirm"}},
		{"rsvp", bot.CustomID{Action: "rsvp", CircleID: c.ID, SessionID: next[0].ID, Arg: "skip"}, bot.CustomID{Action: "rsvp", CircleID: oc.ID, SessionID: osess.ID, Arg: "going"}},
		{"rsvp-sessions", bot.CustomID{Action: "rsvp-sessions", CircleID: c.ID, SessionID: next[0].ID, Arg: "skip"}, bot.CustomID{Action: "rsvp-sessions", CircleID: oc.ID, SessionID: osess.ID, Arg: "going"}},
		{"remind", bot.CustomID{Action: "remind", CircleID: c.ID, Arg: "off"}, bot.CustomID{Action: "remind", CircleID: oc.ID, Arg: "off"}},
		{"mycircles", bot.CustomID{Action: "mycircles", CircleID: c.ID, Arg: "next"}, bot.CustomID{Action: "mycircles", CircleID: oc.ID, Arg: "next"}},
		{"mysessions", bot.CustomID{Action: "mysessions", CircleID: c.ID}, bot.CustomID{Action: "mysessions", CircleID: oc.ID}},
		{"archive", bot.CustomID{Action: "archive", CircleID: c.ID, Arg: "confirm"}, bot.CustomID{Action: "archive", CircleID: oc.ID, Arg: "confirm"}},
		{"privacy-delete", bot.CustomID{Action: "privacy-delete", Arg: "guild"}, bot.CustomID{Action: "privacy-delete", Arg: "guild"}},
		{"reconsent", bot.CustomID{Action: "reconsent", CircleID: c.ID, Version: 1}, bot.CustomID{Action: "reconsent", CircleID: oc.ID, Version: 2}},
	}
	for _, tc := range cases {
		mine := tc.mine
		mine.GuildID, mine.UserID = h.guild, victim
		if tc.name == "archive" {
			mine.UserID = h.fac
		}
		wantContains(t, click(attacker, h.guild, nil, mine), "belongs to someone else")
		// In a DM too (reminders and re-consent DMs carry buttons); buttons
		// that only work in a server may say that first.
		if got := click(attacker, "", nil, mine); !strings.Contains(got, "belongs to someone else") && !strings.Contains(got, "only works inside a server") {
			t.Fatalf("%s: another user's button in a DM: %q", tc.name, got)
		}

		away := tc.away
		away.GuildID, away.UserID = other, attacker
		if got := click(attacker, h.guild, []string{h.facRole}, away); !strings.Contains(got, "another server") && !strings.Contains(got, "no longer works") {
			t.Fatalf("%s: a button of another server: %q", tc.name, got)
		}
		// A button naming this server but another server's circle.
		away.GuildID = h.guild
		if tc.away.CircleID != 0 {
			got := click(attacker, h.guild, []string{h.facRole}, away)
			if strings.Contains(got, "✅") || strings.Contains(got, "Done") || strings.Contains(got, "Welcome") {
				t.Fatalf("%s: another server's circle acted on: %q", tc.name, got)
			}
		}
		h.wantUnchanged("forged "+tc.name, start, guilds, users)
	}
	if !h.sim.CanView(victim, ch) {
		t.Fatal("the victim lost access to the session channel")
	}
}
