package discordsim

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/circlebot/circlebot/bot/discordurl"
	"github.com/circlebot/circlebot/circles"
)

var redirectOnce sync.Once

// newSim makes a world with short timings and points discordgo at the
// shared listener (once per process: discordgo's endpoints are globals).
func newSim(t *testing.T, opts Options) *Sim {
	t.Helper()
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 500 * time.Millisecond
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	redirectOnce.Do(func() {
		if err := discordurl.Redirect(s.APIURL()); err != nil {
			t.Fatal(err)
		}
	})
	t.Cleanup(s.Close)
	return s
}

// bot is a plain discordgo session with per-test interaction handlers.
type bot struct {
	dg          *discordgo.Session
	ready       atomic.Int32
	guildCreate atomic.Int32
	guildDelete atomic.Int32
	memberRm    atomic.Int32

	mu       sync.Mutex
	handlers map[string]func(*discordgo.Session, *discordgo.InteractionCreate)
}

// handle registers a handler by command name, or by custom_id for
// components and modals.
func (b *bot) handle(key string, h func(*discordgo.Session, *discordgo.InteractionCreate)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handlers[key] = h
}

func interactionKey(i *discordgo.InteractionCreate) string {
	switch i.Type {
	case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
		return i.ApplicationCommandData().Name
	case discordgo.InteractionMessageComponent:
		return i.MessageComponentData().CustomID
	case discordgo.InteractionModalSubmit:
		return i.ModalSubmitData().CustomID
	}
	return ""
}

func connect(t *testing.T, s *Sim) *bot {
	t.Helper()
	dg, err := discordgo.New("Bot " + s.Token())
	if err != nil {
		t.Fatal(err)
	}
	dg.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMembers | discordgo.IntentsGuildMessages
	dg.LogLevel = -1
	b := &bot{dg: dg, handlers: map[string]func(*discordgo.Session, *discordgo.InteractionCreate){}}
	dg.AddHandler(func(_ *discordgo.Session, _ *discordgo.Ready) { b.ready.Add(1) })
	dg.AddHandler(func(_ *discordgo.Session, _ *discordgo.GuildCreate) { b.guildCreate.Add(1) })
	dg.AddHandler(func(_ *discordgo.Session, _ *discordgo.GuildDelete) { b.guildDelete.Add(1) })
	dg.AddHandler(func(_ *discordgo.Session, _ *discordgo.GuildMemberRemove) { b.memberRm.Add(1) })
	dg.AddHandler(func(ds *discordgo.Session, i *discordgo.InteractionCreate) {
		b.mu.Lock()
		h := b.handlers[interactionKey(i)]
		b.mu.Unlock()
		if h != nil {
			h(ds, i)
		}
	})
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: the session closes before the sim.
	t.Cleanup(func() { _ = dg.Close() })
	return b
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func waitFor(t *testing.T, s *Sim, what string, cond func() bool) {
	t.Helper()
	if err := s.WaitFor(ctx(t), cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return -1
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var testCommands = []*discordgo.ApplicationCommand{
	{Name: "ping", Description: "Ping"},
	{Name: "circle", Description: "Facilitator commands", DefaultMemberPermissions: ptr(int64(discordgo.PermissionManageChannels)),
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "create", Description: "Create a circle",
				Options: []*discordgo.ApplicationCommandOption{
					{Type: discordgo.ApplicationCommandOptionString, Name: "name", Description: "Name", Required: true},
					{Type: discordgo.ApplicationCommandOptionInteger, Name: "capacity", Description: "Seats"},
					{Type: discordgo.ApplicationCommandOptionString, Name: "timezone", Description: "Zone", Autocomplete: true},
				}},
		}},
	{Name: "join", Description: "Join a circle", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionString, Name: "circle", Description: "Circle", Required: true, Autocomplete: true},
	}},
	{Name: "Flag to facilitators", Type: discordgo.MessageApplicationCommand},
}

func ptr[T any](v T) *T { return &v }

// world is a ready-made guild with an owner, a member and a bot connected
// with commands registered.
type world struct {
	*Sim
	bot     *bot
	guild   string
	owner   string
	member  string
	general string
}

func newWorld(t *testing.T, opts Options) *world {
	t.Helper()
	w := newBotlessWorld(t, opts)
	w.connectBot(t)
	return w
}

// newBotlessWorld is newWorld without a bot connected: tests that only
// make REST calls skip the second discordgo spends closing a session.
func newBotlessWorld(t *testing.T, opts Options) *world {
	t.Helper()
	s := newSim(t, opts)
	w := &world{Sim: s, owner: s.AddUser("owner"), member: s.AddUser("member")}
	w.guild = s.AddGuild("Peer Support", w.owner)
	s.AddMember(w.guild, w.member)
	w.general = s.GeneralChannelID(w.guild)
	return w
}

// connectBot connects a plain discordgo bot and registers testCommands.
func (w *world) connectBot(t *testing.T) {
	t.Helper()
	w.bot = connect(t, w.Sim)
	if _, err := w.bot.dg.ApplicationCommandBulkOverwrite(w.ApplicationID(), "", testCommands); err != nil {
		t.Fatal(err)
	}
}

func reply(ds *discordgo.Session, i *discordgo.InteractionCreate, content string, flags discordgo.MessageFlags) error {
	return ds.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: content, Flags: flags},
	})
}

// newManualClock is a world clock (Options.Now) the test moves:
// deadlines, token lifetimes and rate-limit windows pass without sleeping.
func newManualClock() *circles.ManualClock {
	return circles.NewManualClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
}
