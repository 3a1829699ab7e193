package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
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
	guild  string
	user   string
}

func newRouterRig(t *testing.T) *routerRig {
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
	rig.router.DeferAfter = 100 * time.Millisecond
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
	var cmds []*discordgo.ApplicationCommand
	for _, name := range []string{"fast", "slow", "boom", "refuse", "leak", "mention"} {
		cmds = append(cmds, &discordgo.ApplicationCommand{Name: name, Description: "router test " + name})
	}
	if _, err := dg.ApplicationCommandBulkOverwrite(sim.ApplicationID(), "", cmds); err != nil {
		t.Fatal(err)
	}
	return rig
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
	rig := newRouterRig(t)
	release := make(chan struct{})
	var once sync.Once
	rig.router.Command("fast", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		return bot.Reply("hello <@%s>", r.UserID), nil
	})
	rig.router.Command("slow", func(ctx context.Context, r *bot.Request) (*bot.Response, error) {
		<-release // held until the test has seen the deferral
		return bot.Reply("finished the slow work"), nil
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

	t.Run("slow handlers are deferred, then edited in", func(t *testing.T) {
		go func() {
			// Release the handler once the deferral has reached Discord.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = rig.sim.WaitFor(ctx, func() bool {
				for _, rq := range rig.sim.Requests() {
					if strings.HasSuffix(rq.Route, "/callback") && strings.Contains(string(rq.Body), `"type":5`) {
						return true
					}
				}
				return false
			})
			once.Do(func() { close(release) })
		}()
		resp := rig.run(t, "slow")
		if resp.Type != 5 || resp.Content != "finished the slow work" || !resp.Ephemeral {
			t.Fatalf("got type %d %q ephemeral=%v", resp.Type, resp.Content, resp.Ephemeral)
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
