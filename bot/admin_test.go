package bot_test

import (
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/i18n"
)

// memberHandle sends one interaction straight to the bot's router and
// returns the answer's text.
func (h *harness) memberHandle(i *discordgo.Interaction) string {
	h.t.Helper()
	return h.handle(i).Data.Content
}

// memberClickAs forges a button click by userID with any custom_id, in the
// harness guild (member set) or in a DM (guild "").
func (h *harness) memberClickAs(userID, guildID string, id bot.CustomID) string {
	h.t.Helper()
	i := &discordgo.Interaction{Type: discordgo.InteractionMessageComponent, GuildID: guildID,
		Data: discordgo.MessageComponentInteractionData{CustomID: id.Encode(), ComponentType: discordgo.ButtonComponent}}
	if guildID == "" {
		i.User = &discordgo.User{ID: userID}
	} else {
		i.Member = &discordgo.Member{User: &discordgo.User{ID: userID}}
	}
	return h.memberHandle(i)
}

// memberSettings returns the stored settings (zero when none).
func (h *harness) memberSettings() circles.GuildSettings {
	h.t.Helper()
	g, err := h.store.GuildSettings(h.ctx, h.guild)
	if err != nil && circles.ErrorCode(err) != circles.ENotFound {
		h.t.Fatal(err)
	}
	return g
}

// wantNoPings fails unless every interaction answer, and every edit that
// fills in a deferred one, carried an empty parse list.
func (h *harness) wantNoPings() {
	h.t.Helper()
	n := 0
	for _, rq := range h.sim.Requests() {
		answer := strings.HasSuffix(rq.Path, "/callback") && rq.Method == "POST"
		edit := rq.Route == "/webhooks/{webhook_id}/{webhook_token}/messages/@original" && rq.Method == "PATCH"
		body := string(rq.Body)
		if !(answer || edit) || !strings.Contains(body, `"content"`) ||
			// modals and autocomplete carry no mentions, deferrals no text
			strings.HasPrefix(body, `{"type":9`) || strings.HasPrefix(body, `{"type":8`) ||
			strings.HasPrefix(body, `{"type":5`) || strings.HasPrefix(body, `{"type":6`) {
			continue
		}
		n++
		if !strings.Contains(string(rq.Body), `"parse":[]`) {
			h.t.Fatalf("answer without allowed_mentions parse []: %s", rq.Body)
		}
	}
	if n == 0 {
		h.t.Fatal("no interaction answers recorded")
	}
}

func TestAdminSetup(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	O := discordsim.O

	// Before /setup, facilitator commands explain what to do.
	h.sim.SetRolePermissions(h.guild, h.facRole, discordgo.PermissionManageChannels)
	r := h.run(h.fac, "circle create", O("name", "Grief circle"), O("kind", "peer"), O("weekday", "Tuesday"), O("time", "19:00"))
	wantContains(t, r.Content, "isn't set up", "ask a server admin to run /setup")
	r = h.run(h.admin, "circle create", O("name", "Grief circle"), O("kind", "peer"), O("weekday", "Tuesday"), O("time", "19:00"))
	wantContains(t, r.Content, "Run /setup first")

	// A member without Manage Server doesn't see /setup; a client that sends
	// it anyway is refused on the server side, and nothing is saved.
	if _, err := h.sim.RunCommand(h.ctx, h.members[0], h.guild, "setup", O("facilitator_role", h.facRole)); err == nil {
		t.Fatal("the simulated client let a member run /setup")
	}
	got := h.memberHandle(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: h.guild,
		Member: &discordgo.Member{User: &discordgo.User{ID: h.members[0]}, Permissions: discordgo.PermissionManageChannels},
		Data: discordgo.ApplicationCommandInteractionData{Name: "setup", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "facilitator_role", Type: discordgo.ApplicationCommandOptionRole, Value: h.members[0]},
			{Name: "category", Type: discordgo.ApplicationCommandOptionChannel, Value: h.category},
		}}})
	wantContains(t, got, "Only server admins", "Manage Server")
	if g := h.memberSettings(); g.Configured || g.FacilitatorRoleID != "" {
		t.Fatalf("refused /setup saved settings: %+v", g)
	}

	// The first /setup needs both the role and the category.
	r = h.run(h.admin, "setup", O("facilitator_role", h.facRole))
	wantContains(t, r.Content, "first /setup needs", "category", "nothing was saved")
	if !r.Ephemeral || h.memberSettings().Configured {
		t.Fatalf("incomplete first /setup: ephemeral %v, settings %+v", r.Ephemeral, h.memberSettings())
	}
	// @everyone is refused as the facilitator role.
	r = h.run(h.admin, "setup", O("facilitator_role", h.guild), O("category", h.category))
	wantContains(t, r.Content, "@everyone can't be the facilitator role")
	if h.memberSettings().Configured {
		t.Fatal("refused role was saved")
	}

	r = h.setup(O("retention_hours", 48))
	if !r.Ephemeral || len(r.Embeds) != 2 {
		t.Fatalf("setup answer: %+v", r)
	}
	// It ends with the permission check of the category: all there.
	if chk := r.Embeds[1]; !strings.Contains(chk.Title, "all set") || strings.Count(chk.Description, "✅") != 8 || strings.Contains(chk.Description, "❌") {
		t.Fatalf("permission check %+v", chk)
	}
	text := responseText(r)
	wantContains(t, text, "is set up", "<@&"+h.facRole+">", "<#"+h.category+">", "48 hours", "60 minutes", "/circle create", "default international list")
	// /circle is shown only to Manage Channels (its default permission):
	// the admin is told how facilitators without it get to see it.
	wantContains(t, r.Content, "/circle** only to members with the Manage Channels permission", "give <@&"+h.facRole+"> Manage Channels",
		"Server Settings → Integrations → circlebot")
	if r.AllowedMentions == nil || len(r.AllowedMentions.Parse) != 0 || len(r.AllowedMentions.Roles) != 0 {
		t.Fatalf("setup summary may ping: %+v", r.AllowedMentions)
	}
	g := h.memberSettings()
	if !g.Configured || g.FacilitatorRoleID != h.facRole || g.CategoryID != h.category || g.RetentionHours != 48 || g.ReminderMinutes != 60 {
		t.Fatalf("settings after /setup: %+v", g)
	}

	// Later runs change only what is given.
	r = h.run(h.admin, "setup", O("reminder_minutes", 15))
	wantContains(t, responseText(r), "15 minutes", "<@&"+h.facRole+">")
	if g := h.memberSettings(); g.ReminderMinutes != 15 || g.RetentionHours != 48 || g.FacilitatorRoleID != h.facRole || g.CategoryID != h.category {
		t.Fatalf("partial /setup changed other settings: %+v", g)
	}
	// A text channel is not a category (the client only offers categories;
	// a tampered one is refused by the bot).
	text0 := h.sim.AddChannel(h.guild, discordgo.ChannelTypeGuildText, "chat", "")
	got = h.memberHandle(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: h.guild,
		Member: &discordgo.Member{User: &discordgo.User{ID: h.admin}, Permissions: discordgo.PermissionManageGuild},
		Data: discordgo.ApplicationCommandInteractionData{Name: "setup", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "category", Type: discordgo.ApplicationCommandOptionChannel, Value: text0},
		}}})
	wantContains(t, got, "not a category")
	if g := h.memberSettings(); g.CategoryID != h.category {
		t.Fatalf("refused category saved: %+v", g)
	}

	// Crisis resources are edited in a modal prefilled with the current text:
	// the default list in the admin's language while there is none.
	r = h.run(h.admin, "setup", O("crisis_resources", true))
	if r.Modal == nil || len(r.Modal.Inputs) != 1 {
		t.Fatalf("no crisis modal: %+v", r)
	}
	in := r.Modal.Inputs[0]
	if in.Value != i18n.T(i18n.English, "helpnow.default_resources") || in.MaxLength != circles.MaxCrisisTextLength || in.Style != int(discordgo.TextInputParagraph) {
		t.Fatalf("crisis input %+v", in)
	}
	custom := "Harbour crisis line: 0800 123 456 (24/7). Emergency: 112."
	r, err := h.sim.SubmitModal(h.ctx, h.admin, h.guild, h.sim.GeneralChannelID(h.guild), r.Modal.CustomID, map[string]string{in.CustomID: custom})
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, responseText(r), "Crisis resources saved", "0800 123 456")
	if g := h.memberSettings(); g.CrisisResources != custom || g.ReminderMinutes != 15 {
		t.Fatalf("crisis text not saved: %+v", g)
	}
	r = h.run(h.members[0], "helpnow")
	wantContains(t, responseText(r), "0800 123 456", "peer support, not therapy or medical care", "local emergency number")
	// Reopening the modal shows the saved text.
	r = h.run(h.admin, "setup", O("crisis_resources", true))
	if r.Modal == nil || r.Modal.Inputs[0].Value != custom {
		t.Fatalf("crisis modal not prefilled with saved text: %+v", r.Modal)
	}
	// A forged crisis submit by a non-admin changes nothing.
	got = h.memberHandle(&discordgo.Interaction{Type: discordgo.InteractionModalSubmit, GuildID: h.guild,
		Member: &discordgo.Member{User: &discordgo.User{ID: h.members[1]}},
		Data: discordgo.ModalSubmitInteractionData{CustomID: bot.CustomID{Action: "crisis", GuildID: h.guild, UserID: h.members[1]}.Encode(),
			Components: []discordgo.MessageComponent{&discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				&discordgo.TextInput{CustomID: in.CustomID, Value: "call nobody"}}}}}})
	wantContains(t, got, "Only server admins")
	if h.memberSettings().CrisisResources != custom {
		t.Fatal("forged crisis submit changed the text")
	}
	h.wantNoPings()
}
