package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/bot/discordurl"
	"github.com/circlebot/circlebot/circles"
)

// routerRig is a plain discordgo session answering through a bare Router,
// so router behaviour is tested apart from any feature.
type routerRig struct {
	sim    *discordsim.Sim
	router *bot.Router
	dg     *discordgo.Session
	guild  string
	user   string
}

// newRouterRig starts a rig whose router defers after deferAfter. Tests
// that must not see a deferral use a large value, so a loaded machine
// can't turn a quick answer into a deferred one.
func newRouterRig(t *testing.T, deferAfter time.Duration) *routerRig {
	t.Helper()
	sim, err := discordsim.New(discordsim.Options{HeartbeatInterval: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	if err := discordurl.Redirect(sim.APIURL()); err != nil {
		t.Fatal(err)
	}
	rig := &routerRig{sim: sim, router: bot.NewRouter(slog.New(slog.DiscardHandler), time.Now)}
	rig.router.DeferAfter = deferAfter
	owner := sim.AddUser("owner")
	rig.guild = sim.AddGuild("Rig", owner)
	rig.user = sim.AddUser("someone")
	sim.AddMember(rig.guild, rig.user)

	dg, err := discordgo.New("Bot " + sim.Token())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dg.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) { rig.router.Handle(ctx, s, ic.Interaction) })
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dg.Close() })
	rig.dg = dg
	var cmds []*discordgo.ApplicationCommand
	for _, name := range []string{"fast", "slow", "boom", "refuse", "leak", "mention"} {
		cmds = append(cmds, &discordgo.ApplicationCommand{Name: name, Description: "router test " + name})
	}
	cmds = append(cmds, &discordgo.ApplicationCommand{Name: "pick", Description: "router test pick", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "what", Description: "what", Autocomplete: true},
	}})
	if _, err := dg.ApplicationCommandBulkOverwrite(sim.ApplicationID(), "", cmds); err != nil {
		t.Fatal(err)
	}
	return rig
}

// waitDeferred blocks a handler until its deferral has reached Discord,
// so a test sees the deferred path whatever the machine's speed.
func (rig *routerRig) waitDeferred(ctx context.Context, r *bot.Request) {
	_ = rig.sim.WaitFor(ctx, func() bool {
		resp, ok := rig.sim.Response(r.Interaction.ID)
		return ok && (resp.Type == 5 || resp.Type == 6)
	})
}

// message posts a bot message with one button per action in the rig's
// channel, the way a reminder or a circle card is posted.
func (rig *routerRig) message(t *testing.T, content string, actions ...string) *discordgo.Message {
	t.Helper()
	var row []discordgo.MessageComponent
	for _, a := range actions {
		row = append(row, bot.Button(a, discordgo.PrimaryButton, bot.CustomID{Action: a, GuildID: rig.guild}))
	}
	m, err := rig.dg.ChannelMessageSendComplex(rig.sim.GeneralChannelID(rig.guild), &discordgo.MessageSend{
		Content: content, Components: []discordgo.MessageComponent{bot.Row(row...)}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (rig *routerRig) click(t *testing.T, m *discordgo.Message, action string) *discordsim.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := rig.sim.Click(ctx, rig.user, m.ChannelID, m.ID, bot.CustomID{Action: action, GuildID: rig.guild}.Encode())
	if err != nil {
		t.Fatalf("click %s: %v", action, err)
	}
	return resp
}

func (rig *routerRig) run(t *testing.T, name string) *discordsim.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := rig.sim.RunCommand(ctx, rig.user, rig.guild, name)
	if err != nil {
		t.Fatalf("/%s: %v", name, err)
	}
	return resp
}

func TestRouter(t *testing.T) {
	t.Parallel()
	rig := newRouterRig(t, time.Minute) // nothing here may be deferred
	rig.router.Command("fast", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		return bot.Reply("hello <@%s>", r.UserID), nil
	})
	rig.router.Command("boom", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		panic("secret internals")
	})
	rig.router.Command("refuse", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		return nil, circles.Errorf(circles.EForbidden, "Only facilitators can do this.")
	})
	rig.router.Command("leak", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		return nil, errors.New("open /var/lib/circlebot.db: permission denied")
	})
	rig.router.Command("mention", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		return &bot.Response{Content: "@everyone <@" + r.UserID + ">", Public: true, Mention: []string{r.UserID}}, nil
	})

	t.Run("fast answers are ephemeral and ping nobody", func(t *testing.T) {
		resp := rig.run(t, "fast")
		if resp.Type != 4 || !resp.Ephemeral || !strings.Contains(resp.Content, "hello") {
			t.Fatalf("got %+v", resp)
		}
		if am := resp.AllowedMentions; am == nil || len(am.Parse) != 0 || len(am.Users) != 0 {
			t.Fatalf("allowed_mentions %+v: a reply must not ping", am)
		}
	})

	t.Run("a panic becomes a kind error without internals", func(t *testing.T) {
		resp := rig.run(t, "boom")
		if strings.Contains(resp.Content, "secret") || !strings.Contains(resp.Content, "nothing was changed") {
			t.Fatalf("got %q", resp.Content)
		}
	})

	t.Run("domain errors show their message", func(t *testing.T) {
		if resp := rig.run(t, "refuse"); !strings.Contains(resp.Content, "Only facilitators can do this.") || !resp.Ephemeral {
			t.Fatalf("got %+v", resp)
		}
	})

	t.Run("unexpected errors never leak", func(t *testing.T) {
		if resp := rig.run(t, "leak"); strings.Contains(resp.Content, "/var/lib") {
			t.Fatalf("leaked %q", resp.Content)
		}
	})

	t.Run("only intended users are pinged", func(t *testing.T) {
		resp := rig.run(t, "mention")
		am := resp.AllowedMentions
		if am == nil || len(am.Parse) != 0 || len(am.Users) != 1 || am.Users[0] != rig.user {
			t.Fatalf("allowed_mentions %+v", am)
		}
	})
}

// TestRouterDeferred: slow handlers are acknowledged at once and answered
// later, without ever replacing the message a user clicked unless the
// answer is an update of it.
func TestRouterDeferred(t *testing.T) {
	t.Parallel()
	rig := newRouterRig(t, 50*time.Millisecond)
	rig.router.Command("slow", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		rig.waitDeferred(ctx, r)
		return bot.Reply("finished the slow work"), nil
	})
	rig.router.Component("info", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		rig.waitDeferred(ctx, r)
		return bot.Reply("Here is what you asked for."), nil
	})
	rig.router.Component("fail", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		rig.waitDeferred(ctx, r)
		return nil, circles.Errorf(circles.EConflict, "That session has already ended.")
	})
	rig.router.Component("done", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		rig.waitDeferred(ctx, r)
		return &bot.Response{Content: "Marked as done.", Update: true, Components: []discordgo.MessageComponent{}}, nil
	})

	t.Run("a slow command is deferred, then edited in", func(t *testing.T) {
		resp := rig.run(t, "slow")
		if resp.Type != 5 || resp.Content != "finished the slow work" || !resp.Ephemeral {
			t.Fatalf("got type %d %q ephemeral=%v", resp.Type, resp.Content, resp.Ephemeral)
		}
	})

	for _, tc := range []struct{ action, want string }{
		{"info", "Here is what you asked for."},
		{"fail", "That session has already ended."},
	} {
		t.Run("a slow "+tc.action+" button answers privately and keeps the message", func(t *testing.T) {
			m := rig.message(t, "Reminder: Grief circle starts in an hour.", tc.action)
			resp := rig.click(t, m, tc.action)
			if resp.Type != 6 || len(resp.Followups) != 1 {
				t.Fatalf("got type %d with %d followups", resp.Type, len(resp.Followups))
			}
			f := resp.Followups[0]
			if !f.Ephemeral || !strings.Contains(f.Content, tc.want) {
				t.Fatalf("followup %+v", f)
			}
			if kept, _ := rig.sim.Message(m.ID); kept.Content != m.Content || len(kept.Buttons()) != 1 {
				t.Fatalf("the clicked message became %q with %d buttons", kept.Content, len(kept.Buttons()))
			}
		})
	}

	t.Run("a slow update replaces the clicked message", func(t *testing.T) {
		m := rig.message(t, "Did you do the thing?", "done")
		resp := rig.click(t, m, "done")
		if resp.Type != 6 || len(resp.Followups) != 0 {
			t.Fatalf("got type %d with %d followups", resp.Type, len(resp.Followups))
		}
		if got, _ := rig.sim.Message(m.ID); got.Content != "Marked as done." || len(got.Buttons()) != 0 {
			t.Fatalf("the clicked message is %q with %d buttons", got.Content, len(got.Buttons()))
		}
	})
}

// An autocomplete that can't finish in time answers no suggestions: its
// answer can't be deferred, and a silent failure is worse.
func TestRouterAutocompleteTimeout(t *testing.T) {
	t.Parallel()
	rig := newRouterRig(t, time.Minute)
	rig.router.AutocompleteTimeout = 50 * time.Millisecond
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	rig.router.Autocomplete("pick", "what", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		<-stuck // ignores its context, like a wedged store call
		return &bot.Response{Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "too late", Value: "x"}}}, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	choices, err := rig.sim.Autocomplete(ctx, rig.user, rig.guild, "pick", "what", "gr")
	if err != nil {
		t.Fatalf("autocomplete: %v", err)
	}
	if len(choices) != 0 {
		t.Fatalf("choices %+v", choices)
	}
}

func TestCustomIDCodec(t *testing.T) {
	t.Parallel()
	id := bot.CustomID{Action: "join", GuildID: "123456789012345678", CircleID: 42, SessionID: 7, Version: 3, UserID: "876543210987654321", Arg: "listener"}
	s := id.Encode()
	if len(s) > 100 {
		t.Fatalf("custom_id %d chars: over Discord's limit", len(s))
	}
	got, err := bot.DecodeCustomID(s)
	if err != nil || got != id {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	// Worst case stays under the limit: three 20-digit snowflakes and big numbers.
	max := bot.CustomID{Action: "privacy-delete", GuildID: "18446744073709551615", CircleID: 1<<62 - 1, SessionID: 1<<62 - 1, Version: 1 << 30, UserID: "18446744073709551615", Arg: "listener"}
	if n := len(max.Encode()); n > 100 {
		t.Fatalf("worst case %d chars", n)
	}
	for _, bad := range []string{
		"", "join", "cb0:join:1:2:3:4:5:member", "cb1:join:1:2:3:4:5", "cb1:join:1:2:3:4:5:member:extra",
		"cb1:join:a-c:2:3:4:5:member", "cb1:join:1:-2:3:4:5:member", "cb1:join:1:2:3:!:5:member",
		"cb1:JOIN:1:2:3:4:5:member", "cb1:join:1:2:3:4:5:Member!", "cb1::1:2:3:4:5:member",
		"cb1:join:1:02:3:4:5:member", "cb1:join:1:2:3:4:5:" + strings.Repeat("a", 90),
		"cb1:join:1:2:3:4:<@5>:member", "cb1:join:1:2:3:4:zzzzzzzzzzzzzzz:member",
	} {
		if _, err := bot.DecodeCustomID(bad); circles.ErrorCode(err) != circles.EInvalid {
			t.Errorf("DecodeCustomID(%q) accepted", bad)
		}
	}
}

// An autocomplete answered without suggestions after its timeout is still
// waited for: Handle returns when its handler has, so that Close, which
// waits for Handle, never leaves a handler at work on a closed store.
func TestRouterHandleWaitsForLateAutocomplete(t *testing.T) {
	t.Parallel()
	rt := bot.NewRouter(slog.New(slog.DiscardHandler), time.Now)
	rt.AutocompleteTimeout = time.Millisecond
	release := make(chan struct{})
	rt.Autocomplete("pick", "what", func(context.Context, *bot.Request) (*bot.Response, error) {
		<-release // ignores its context
		return &bot.Response{}, nil
	})
	rec := &recorder{}
	returned := make(chan struct{})
	go func() {
		rt.Handle(context.Background(), rec, &discordgo.Interaction{
			ID: "1", Type: discordgo.InteractionApplicationCommandAutocomplete,
			Data: discordgo.ApplicationCommandInteractionData{Name: "pick", Options: []*discordgo.ApplicationCommandInteractionDataOption{
				{Name: "what", Type: discordgo.ApplicationCommandOptionString, Value: "gr", Focused: true},
			}},
		})
		close(returned)
	}()
	answered := func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.resp != nil
	}
	for !answered() {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-returned:
		t.Fatal("Handle returned while the autocomplete handler was still at work")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-returned
}
