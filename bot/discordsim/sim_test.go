package discordsim

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func TestConnectReadyAndGuildCreate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	waitFor(t, w.Sim, "READY and GUILD_CREATE", func() bool { return w.bot.ready.Load() == 1 && w.bot.guildCreate.Load() == 1 })
	if w.Intents()&int(discordgo.IntentsGuildMembers) == 0 {
		t.Errorf("Intents() = %d, want GUILD_MEMBERS recorded", w.Intents())
	}
	g, err := w.bot.dg.State.Guild(w.guild)
	if err != nil {
		t.Fatalf("state has no guild: %v", err)
	}
	if g.Name != "Peer Support" || len(g.Channels) != 1 || len(g.Roles) != 2 {
		t.Errorf("guild in state = %q, %d channels, %d roles", g.Name, len(g.Channels), len(g.Roles))
	}
	if w.bot.dg.State.User.ID != w.BotUserID() {
		t.Errorf("state user = %s, want %s", w.bot.dg.State.User.ID, w.BotUserID())
	}

	// A guild added later arrives as GUILD_CREATE; kicking the bot as GUILD_DELETE.
	g2 := w.AddGuild("Second", w.owner)
	waitFor(t, w.Sim, "second GUILD_CREATE", func() bool { return w.bot.guildCreate.Load() == 2 })
	w.RemoveBotFromGuild(g2)
	waitFor(t, w.Sim, "GUILD_DELETE", func() bool { return w.bot.guildDelete.Load() == 1 })
	w.RemoveMember(w.guild, w.member)
	waitFor(t, w.Sim, "GUILD_MEMBER_REMOVE", func() bool { return w.bot.memberRm.Load() == 1 })
}

func TestCommandsBulkOverwrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	first := w.Commands("")
	if len(first) != len(testCommands) {
		t.Fatalf("got %d commands, want %d", len(first), len(testCommands))
	}
	// Overwriting again (a restart) keeps the set and the ids.
	again, err := w.bot.dg.ApplicationCommandBulkOverwrite(w.ApplicationID(), "", testCommands)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Commands("")) != len(testCommands) || again[0].ID != first[0].ID {
		t.Errorf("overwrite piled up or changed ids")
	}
	// Guild commands are separate.
	if _, err := w.bot.dg.ApplicationCommandCreate(w.ApplicationID(), w.guild, &discordgo.ApplicationCommand{Name: "setup", Description: "Admin"}); err != nil {
		t.Fatal(err)
	}
	if len(w.Commands(w.guild)) != 1 {
		t.Errorf("guild commands = %d", len(w.Commands(w.guild)))
	}

	bad := []struct {
		name string
		cmd  *discordgo.ApplicationCommand
	}{
		{"upper case", &discordgo.ApplicationCommand{Name: "Ping", Description: "x"}},
		{"no description", &discordgo.ApplicationCommand{Name: "ping"}},
		{"long description", &discordgo.ApplicationCommand{Name: "ping", Description: strings.Repeat("x", 101)}},
		{"message command with description", &discordgo.ApplicationCommand{Name: "Flag", Type: discordgo.MessageApplicationCommand, Description: "x"}},
		{"26 options", &discordgo.ApplicationCommand{Name: "many", Description: "x", Options: manyOptions(26)}},
		{"mixed subcommands", &discordgo.ApplicationCommand{Name: "mixed", Description: "x", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "a", Description: "a"},
			{Type: discordgo.ApplicationCommandOptionString, Name: "b", Description: "b"},
		}}},
	}
	for _, tc := range bad {
		_, err := w.bot.dg.ApplicationCommandCreate(w.ApplicationID(), "", tc.cmd)
		if restCode(err) != 50035 {
			t.Errorf("%s: err = %v, want 50035", tc.name, err)
		}
	}
}

func manyOptions(n int) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	for i := range n {
		out = append(out, &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: fmt.Sprintf("o%d", i), Description: "x"})
	}
	return out
}

func TestRunCommandEphemeralAndClick(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	got := make(chan []*discordgo.ApplicationCommandInteractionDataOption, 1)
	w.bot.handle("circle", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		got <- i.ApplicationCommandData().Options
		err := ds.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{
				Content: "Created", Flags: discordgo.MessageFlagsEphemeral,
				Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
					discordgo.Button{Label: "I agree — join", Style: discordgo.PrimaryButton, CustomID: "join:1"},
					discordgo.Button{Label: "Cancel", Style: discordgo.SecondaryButton, CustomID: "cancel"},
				}}},
			},
		})
		if err != nil {
			t.Error(err)
		}
	})
	w.bot.handle("join:1", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		err := ds.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: "Joined " + i.Member.User.ID, Components: []discordgo.MessageComponent{}},
		})
		if err != nil {
			t.Error(err)
		}
	})

	// The owner has every permission, so the facilitator command is visible.
	r, err := w.RunCommand(ctx(t), w.owner, w.guild, "circle create", O("name", "grief"), O("capacity", 8))
	if err != nil {
		t.Fatal(err)
	}
	opts := <-got
	if len(opts) != 1 || opts[0].Name != "create" || opts[0].GetOption("capacity").IntValue() != 8 || opts[0].GetOption("name").StringValue() != "grief" {
		t.Errorf("bot got options %+v", opts)
	}
	if !r.Ephemeral || r.Content != "Created" || r.Type != 4 || len(r.Buttons()) != 2 || r.Buttons()[0].Label != "I agree — join" {
		t.Errorf("response = %+v", r)
	}
	if len(w.Messages(w.general)) != 0 {
		t.Errorf("ephemeral reply is visible in the channel")
	}

	r2, err := w.Click(ctx(t), w.owner, w.general, r.MessageID, "join:1")
	if err != nil {
		t.Fatal(err)
	}
	if r2.Type != 7 || r2.Content != "Joined "+w.owner || len(r2.Buttons()) != 0 {
		t.Errorf("click response = %+v", r2)
	}
	if _, err := w.Click(ctx(t), w.owner, w.general, r.MessageID, "nope"); err == nil {
		t.Error("click on a missing button succeeded")
	}
	if _, err := w.Click(ctx(t), w.member, w.general, r.MessageID, "join:1"); err == nil {
		t.Error("another user clicked an ephemeral message")
	}

	// What the Discord client would refuse.
	if _, err := w.RunCommand(ctx(t), w.owner, w.guild, "circle create", O("capacity", 8)); err == nil {
		t.Error("missing required option accepted")
	}
	if _, err := w.RunCommand(ctx(t), w.owner, w.guild, "circle create", O("name", "x"), O("colour", "red")); err == nil {
		t.Error("unknown option accepted")
	}
	if _, err := w.RunCommand(ctx(t), w.owner, w.guild, "circle create", O("name", "x"), O("capacity", "eight")); err == nil {
		t.Error("string for an integer accepted")
	}
	if _, err := w.RunCommand(ctx(t), w.member, w.guild, "circle create", O("name", "x")); err == nil {
		t.Error("member without ManageChannels ran a facilitator command")
	}
	if _, err := w.RunCommand(ctx(t), w.owner, w.guild, "nosuch"); err == nil {
		t.Error("unregistered command ran")
	}
}

func TestDeferredThenEditAndFollowup(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	w.bot.handle("ping", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		if err := ds.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
		}); err != nil {
			t.Error(err)
			return
		}
		// Until the bot edits it in, the user sees "thinking…".
		if r, ok := w.Response(i.ID); !ok || r.Type != 5 || r.Content != "" || r.Flags&msgFlagLoading == 0 {
			t.Errorf("deferred answer before the edit: %+v", r)
		}
		content := "pong"
		if _, err := ds.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: &content}); err != nil {
			t.Error(err)
		}
		m, err := ds.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{
			Content: "export", Flags: discordgo.MessageFlagsEphemeral,
			Files: []*discordgo.File{{Name: "export.json", ContentType: "application/json", Reader: strings.NewReader(`{"a":1}`)}},
		})
		if err != nil || m.ID == "" || len(m.Attachments) != 1 {
			t.Errorf("followup: %v %+v", err, m)
		}
	})
	r, err := w.RunCommand(ctx(t), w.member, w.guild, "ping")
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != 5 || r.Content != "pong" || !r.Ephemeral {
		t.Errorf("response = %+v", r)
	}
	waitFor(t, w.Sim, "followup", func() bool { return len(w.Followups(r.InteractionID)) == 1 })
	f := w.Followups(r.InteractionID)[0]
	if !f.Ephemeral || len(f.Attachments) != 1 || !bytes.Equal(f.Attachments[0].Data, []byte(`{"a":1}`)) || f.Attachments[0].Name != "export.json" {
		t.Errorf("followup = %+v", f)
	}
}

func TestModalRoundTrip(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	w.bot.handle("ping", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		err := ds.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseModal,
			Data: &discordgo.InteractionResponseData{CustomID: "guidelines:1", Title: "Guidelines", Components: []discordgo.MessageComponent{
				discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.TextInput{
					CustomID: "text", Label: "Guidelines", Style: discordgo.TextInputParagraph, Required: true, MaxLength: 4000}}},
			}},
		})
		if err != nil {
			t.Error(err)
		}
	})
	w.bot.handle("guidelines:1", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		row := i.ModalSubmitData().Components[0].(*discordgo.ActionsRow)
		v := row.Components[0].(*discordgo.TextInput).Value
		if err := reply(ds, i, "saved: "+v, discordgo.MessageFlagsEphemeral); err != nil {
			t.Error(err)
		}
	})
	r, err := w.RunCommand(ctx(t), w.owner, w.guild, "ping")
	if err != nil {
		t.Fatal(err)
	}
	if r.Type != 9 || r.Modal == nil || r.Modal.Title != "Guidelines" || len(r.Modal.Inputs) != 1 {
		t.Fatalf("response = %+v", r)
	}
	if _, err := w.SubmitModal(ctx(t), w.owner, w.guild, w.general, "guidelines:1", map[string]string{"other": "x"}); err == nil {
		t.Error("unknown modal input accepted")
	}
	r2, err := w.SubmitModal(ctx(t), w.owner, w.guild, w.general, "guidelines:1", map[string]string{"text": "be kind"})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Content != "saved: be kind" {
		t.Errorf("modal reply = %+v", r2)
	}
}

func TestAutocomplete(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	w.bot.handle("join", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		var typed string
		for _, o := range i.ApplicationCommandData().Options {
			if o.Focused {
				typed = o.StringValue()
			}
		}
		err := ds.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{
				{Name: "Grief circle (" + typed + ")", Value: "42"},
			}},
		})
		if err != nil {
			t.Error(err)
		}
	})
	choices, err := w.Autocomplete(ctx(t), w.member, w.guild, "join", "circle", "gri")
	if err != nil {
		t.Fatal(err)
	}
	if len(choices) != 1 || choices[0].Name != "Grief circle (gri)" || choices[0].Value != "42" {
		t.Errorf("choices = %+v", choices)
	}
}

func TestChannelsOverwritesMessagesPins(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	dg := w.bot.dg
	cat, err := dg.GuildChannelCreateComplex(w.guild, discordgo.GuildChannelCreateData{
		Name: "Circles", Type: discordgo.ChannelTypeGuildCategory,
		PermissionOverwrites: []*discordgo.PermissionOverwrite{
			{ID: w.guild, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionViewChannel},
			{ID: w.BotUserID(), Type: discordgo.PermissionOverwriteTypeMember, Allow: discordgo.PermissionViewChannel | discordgo.PermissionSendMessages},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := dg.GuildChannelCreateComplex(w.guild, discordgo.GuildChannelCreateData{
		Name: "Grief Circle 2026-11-25", Type: discordgo.ChannelTypeGuildText, ParentID: cat.ID, Topic: "peer support",
		PermissionOverwrites: []*discordgo.PermissionOverwrite{
			{ID: w.guild, Type: discordgo.PermissionOverwriteTypeRole, Deny: discordgo.PermissionViewChannel},
			{ID: w.BotUserID(), Type: discordgo.PermissionOverwriteTypeMember, Allow: discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionManageMessages},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name != "grief-circle-2026-11-25" || ch.ParentID != cat.ID {
		t.Errorf("channel = %q parent %q", ch.Name, ch.ParentID)
	}
	if w.CanView(w.member, ch.ID) {
		t.Error("member sees the session channel before being added")
	}
	if !w.CanView(w.owner, ch.ID) {
		t.Error("owner cannot see the channel")
	}
	if err := dg.ChannelPermissionSet(ch.ID, w.member, discordgo.PermissionOverwriteTypeMember,
		discordgo.PermissionViewChannel|discordgo.PermissionReadMessageHistory, discordgo.PermissionSendMessages); err != nil {
		t.Fatal(err)
	}
	if !w.CanView(w.member, ch.ID) || w.CanSend(w.member, ch.ID) {
		t.Errorf("listener: view=%v send=%v", w.CanView(w.member, ch.ID), w.CanSend(w.member, ch.ID))
	}
	if c, _ := w.Channel(ch.ID); len(c.Overwrites) != 3 {
		t.Errorf("overwrites = %+v", c.Overwrites)
	}
	if _, err := w.PostUserMessage(w.member, ch.ID, "hello"); err == nil {
		t.Error("listener could post")
	}

	m, err := dg.ChannelMessageSendComplex(ch.ID, &discordgo.MessageSend{
		Content:         "Guidelines <@" + w.member + ">",
		AllowedMentions: &discordgo.MessageAllowedMentions{Users: []string{w.member}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dg.ChannelMessagePin(ch.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	pins := w.Pins(ch.ID)
	if len(pins) != 1 || pins[0].ID != m.ID || pins[0].AllowedMentions == nil || pins[0].AllowedMentions.Users[0] != w.member {
		t.Errorf("pins = %+v", pins)
	}
	got, err := dg.ChannelMessagesPinned(ch.ID)
	if err != nil || len(got) != 1 {
		t.Errorf("ChannelMessagesPinned = %v, %v", got, err)
	}

	// Limits and errors.
	_, err = dg.ChannelMessageSend(ch.ID, strings.Repeat("x", 2001))
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50035 || !strings.Contains(string(re.ResponseBody), "BASE_TYPE_MAX_LENGTH") {
		t.Errorf("2001 chars: %v", err)
	}
	if _, err := dg.ChannelMessageSend("123", "x"); restCode(err) != 10003 {
		t.Errorf("unknown channel: %v", err)
	}
	if _, err := dg.ChannelMessage(ch.ID, "123"); restCode(err) != 10008 {
		t.Errorf("unknown message: %v", err)
	}
	if _, err := dg.Request("GET", discordgo.EndpointAPI+"nonsense", nil); restCode(err) != 0 {
		t.Errorf("unknown route: %v", err)
	}

	// Deleting the channel removes it.
	if _, err := dg.ChannelDelete(ch.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.Channel(ch.ID); ok {
		t.Error("channel still exists")
	}
}

func TestDMs(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	dm, err := w.bot.dg.UserChannelCreate(w.member)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.bot.dg.ChannelMessageSend(dm.ID, "you're off the waitlist"); err != nil {
		t.Fatal(err)
	}
	if d := w.DMs(w.member); len(d) != 1 || d[0].Content != "you're off the waitlist" {
		t.Errorf("DMs = %+v", d)
	}
	w.SetDMsClosed(w.member, true)
	if _, err := w.bot.dg.ChannelMessageSend(dm.ID, "again"); restCode(err) != 50007 {
		t.Errorf("closed DMs: %v", err)
	}
}

func TestCategoryFull(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{RouteLimit: 1000, GlobalLimit: 1000})
	cat := w.AddCategory(w.guild, "Circles")
	for i := range 50 {
		w.AddChannel(w.guild, discordgo.ChannelTypeGuildText, fmt.Sprintf("c%d", i), cat)
	}
	_, err := w.bot.dg.GuildChannelCreateComplex(w.guild, discordgo.GuildChannelCreateData{Name: "one-more", ParentID: cat})
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != 50035 || !strings.Contains(string(re.ResponseBody), "CHANNEL_PARENT_MAX_CHANNELS") {
		t.Errorf("51st channel: %v", err)
	}
}

func TestForced429IsRetried(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	w.Force429(1, 50*time.Millisecond)
	if _, err := w.bot.dg.ChannelMessageSend(w.general, "hi"); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.RateLimited != 1 {
		t.Errorf("stats = %+v", st)
	}
	if n := len(w.Messages(w.general)); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	// 502s are retried by discordgo too.
	w.FailNext(1, 502)
	if _, err := w.bot.dg.ChannelMessageSend(w.general, "again"); err != nil {
		t.Fatal(err)
	}
}

func TestRouteLimitHeadersSlowTheClient(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{MessageLimit: 2, RouteWindow: 100 * time.Millisecond})
	for i := range 5 {
		if _, err := w.bot.dg.ChannelMessageSend(w.general, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	// discordgo reads X-RateLimit-Remaining/Reset-After and waits, so
	// it never hits a 429.
	if st := w.Stats(); st.RateLimited != 0 {
		t.Errorf("stats = %+v", st)
	}
	var last Request
	for _, r := range w.Requests() {
		if r.Route == "/channels/{channel_id}/messages" {
			last = r
		}
	}
	if last.Status != 200 {
		t.Errorf("last message request = %+v", last)
	}
}

func TestDropGatewayResumes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	w.bot.handle("ping", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		if err := reply(ds, i, "pong", 0); err != nil {
			t.Error(err)
		}
	})
	waitFor(t, w.Sim, "connected", func() bool { return w.GatewayStats().Connected == 1 })
	w.DropGateway()
	waitFor(t, w.Sim, "resume", func() bool { st := w.GatewayStats(); return st.Resumes == 1 && st.Connected == 1 })
	r, err := w.RunCommand(ctx(t), w.member, w.guild, "ping")
	if err != nil {
		t.Fatal(err)
	}
	if r.Content != "pong" {
		t.Errorf("response = %+v", r)
	}
	if st := w.GatewayStats(); st.Identifies != 1 {
		t.Errorf("gateway stats = %+v", st)
	}
	if w.bot.ready.Load() != 1 {
		t.Errorf("READY seen %d times", w.bot.ready.Load())
	}
}

func TestInvalidSessionReidentifies(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	waitFor(t, w.Sim, "connected", func() bool { return w.GatewayStats().Connected == 1 })
	w.InvalidateSession()
	w.DropGateway()
	waitFor(t, w.Sim, "re-identify", func() bool { st := w.GatewayStats(); return st.Identifies == 2 && st.Connected == 1 })
	waitFor(t, w.Sim, "second READY", func() bool { return w.bot.ready.Load() == 2 })
}

func TestInteractionAnsweredTwiceAndLate(t *testing.T) {
	t.Parallel()
	clock := newManualClock()
	w := newWorld(t, Options{Now: clock.Now})
	second := make(chan error, 1)
	w.bot.handle("ping", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		if err := reply(ds, i, "one", 0); err != nil {
			t.Error(err)
		}
		second <- reply(ds, i, "two", 0)
	})
	if _, err := w.RunCommand(ctx(t), w.member, w.guild, "ping"); err != nil {
		t.Fatal(err)
	}
	if err := <-second; restCode(err) != 40060 {
		t.Errorf("second answer: %v", err)
	}

	// The bot answers only after Discord's 3 seconds have passed on the
	// world's clock: the user sees a failure and the answer is refused.
	received, deadlinePassed := make(chan struct{}), make(chan struct{})
	late := make(chan error, 1)
	w.bot.handle("ping", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		close(received)
		<-deadlinePassed
		late <- reply(ds, i, "late", 0)
	})
	go func() {
		<-received
		clock.Advance(3*time.Second + time.Millisecond)
		close(deadlinePassed)
	}()
	if _, err := w.RunCommand(ctx(t), w.member, w.guild, "ping"); !errors.Is(err, ErrNoAnswer) {
		t.Errorf("RunCommand with a late bot: %v", err)
	}
	if err := <-late; restCode(err) != 10062 {
		t.Errorf("late answer: %v", err)
	}
}

// CallbackLatency measures on the wall clock from INTERACTION_CREATE to
// the callback, whatever the world's clock says: a bot that waits 20 ms
// before answering shows at least that.
func TestCallbackLatency(t *testing.T) {
	t.Parallel()
	clock := newManualClock() // never moved: the latency is not on this clock
	w := newWorld(t, Options{Now: clock.Now})
	const wait = 20 * time.Millisecond
	w.bot.handle("ping", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		time.Sleep(wait)
		if err := reply(ds, i, "pong", discordgo.MessageFlagsEphemeral); err != nil {
			t.Error(err)
		}
	})
	r, err := w.RunCommand(ctx(t), w.member, w.guild, "ping")
	if err != nil {
		t.Fatal(err)
	}
	d, ok := w.CallbackLatency(r.InteractionID)
	if !ok || d < wait || d > 10*time.Second {
		t.Errorf("CallbackLatency = %v, %v; want at least %v", d, ok, wait)
	}
	if _, ok := w.CallbackLatency("123"); ok {
		t.Error("CallbackLatency of an unknown interaction")
	}
}

func TestInvalidResponsesRejected(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	errs := make(chan error, 1)
	w.bot.handle("ping", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		var row []discordgo.MessageComponent
		for j := range 6 {
			row = append(row, discordgo.Button{Label: "b", Style: discordgo.PrimaryButton, CustomID: fmt.Sprint(j)})
		}
		err := ds.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "x", Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: row}}},
		})
		errs <- err
		if err != nil {
			_ = reply(ds, i, "fallback", 0)
		}
	})
	r, err := w.RunCommand(ctx(t), w.member, w.guild, "ping")
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errs; restCode(err) != 50035 {
		t.Errorf("6 buttons in a row: %v", err)
	}
	if r.Content != "fallback" {
		t.Errorf("response = %+v", r)
	}
}

func TestMessageCommand(t *testing.T) {
	t.Parallel()
	w := newWorld(t, Options{})
	target, err := w.PostUserMessage(w.member, w.general, "something worrying")
	if err != nil {
		t.Fatal(err)
	}
	w.bot.handle("Flag to facilitators", func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		d := i.ApplicationCommandData()
		if err := reply(ds, i, "flagged "+d.TargetID, discordgo.MessageFlagsEphemeral); err != nil {
			t.Error(err)
		}
	})
	r, err := w.MessageCommand(ctx(t), w.owner, w.guild, "Flag to facilitators", w.general, target)
	if err != nil {
		t.Fatal(err)
	}
	if r.Content != "flagged "+target {
		t.Errorf("response = %+v", r)
	}
}

func TestParallelWorldsAreIsolated(t *testing.T) {
	t.Parallel()
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, Options{})
			w.bot.handle("ping", func(ds *discordgo.Session, ic *discordgo.InteractionCreate) {
				if err := reply(ds, ic, "pong "+ic.GuildID, 0); err != nil {
					t.Error(err)
				}
			})
			r, err := w.RunCommand(ctx(t), w.member, w.guild, "ping")
			if err != nil {
				t.Fatal(err)
			}
			if r.Content != "pong "+w.guild {
				t.Errorf("response = %+v", r)
			}
			if n := len(w.Messages(w.general)); n != 1 {
				t.Errorf("%d messages in #general", n)
			}
		})
	}
}

func TestBadTokenIsUnauthorized(t *testing.T) {
	t.Parallel()
	s := newSim(t, Options{})
	dg, _ := discordgo.New("Bot nope")
	if _, err := dg.User("@me"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad token: %v", err)
	}
	_ = s
}
