package bot_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
)

// testIdentifyInterval stands for Discord's 5 s between IDENTIFYs of a
// bucket, in the simulator and the bot alike.
const testIdentifyInterval = 50 * time.Millisecond

// t0 is the harness's starting time: Wednesday 25 November 2026, 12:00 UTC.
var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// harness is a real bot on a real discordgo session, connected to a
// simulated Discord, with a real SQLite file and a clock the test moves.
type harness struct {
	t        *testing.T
	ctx      context.Context
	sim      *discordsim.Sim
	store    *data.Store
	dbPath   string
	clock    *circles.ManualClock
	bot      *bot.Bot
	opts     bot.Options
	guild    string
	category string
	facRole  string
	admin    string   // server owner
	fac      string   // facilitator with the role
	fac2     string   // second facilitator with the role
	members  []string // a dozen plain members
	// transport, when set, wraps the REST transport of every bot start()
	// makes, before it connects (fault injection: restart_test.go).
	transport func(http.RoundTripper) http.RoundTripper
}

type harnessOption func(*bot.Options, *discordsim.Options)

// newHarness starts a simulated server with an admin, two facilitators and
// a dozen members, and the bot connected to it. /setup is not yet run.
func newHarness(t *testing.T, options ...harnessOption) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	// Discord's identify window is 5 s; restarts would wait that long.
	simOpts := discordsim.Options{HeartbeatInterval: 500 * time.Millisecond, IdentifyInterval: testIdentifyInterval}
	botOpts := bot.Options{
		Defaults:         bot.Defaults{TimeZone: "Europe/Berlin", Capacity: 10, SessionMinutes: 60, RetentionHours: 24, ReminderMinutes: 60},
		DeferAfter:       1500 * time.Millisecond,
		IdentifyInterval: testIdentifyInterval,
		QuickClose:       true, // no second's wait in every Close
	}
	for _, o := range options {
		o(&botOpts, &simOpts)
	}
	clock := circles.NewManualClock(t0)
	if simOpts.Now == nil {
		simOpts.Now = discordsim.FollowClock(clock.Now) // Discord's now is the bot's
	}
	sim, err := discordsim.New(simOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)

	h := &harness{t: t, ctx: ctx, sim: sim, clock: clock}
	h.dbPath = filepath.Join(t.TempDir(), "circlebot.db")
	botOpts.IdentifyLockFile = h.dbPath + "-identify" // restarts take their turn, as main's do
	h.admin = sim.AddUser("ada-admin")
	h.guild = sim.AddGuild("Harbour Community", h.admin)
	h.facRole = sim.AddRole(h.guild, "Facilitators", 0)
	h.category = sim.AddCategory(h.guild, "Circles")
	h.fac = sim.AddUser("fran-facilitator")
	h.fac2 = sim.AddUser("femi-facilitator")
	sim.AddMember(h.guild, h.fac, h.facRole)
	sim.AddMember(h.guild, h.fac2, h.facRole)
	for i := 0; i < 12; i++ {
		u := sim.AddUser("member-" + string(rune('a'+i)))
		sim.AddMember(h.guild, u)
		h.members = append(h.members, u)
	}

	botOpts.Token = sim.Token()
	botOpts.ApplicationID = sim.ApplicationID()
	botOpts.APIURL = sim.APIURL()
	botOpts.Clock = h.clock
	if botOpts.Logger == nil { // an option may keep the log (faults_test.go)
		botOpts.Logger = testLogger(t)
	}
	h.opts = botOpts
	h.start()
	return h
}

func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("CIRCLEBOT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// start opens the store and starts a bot on it.
func (h *harness) start() {
	h.t.Helper()
	store, err := data.Open(h.ctx, h.dbPath, data.WithClock(h.clock))
	if err != nil {
		h.t.Fatal(err)
	}
	h.store = store
	o := h.opts
	o.Store = store
	b, err := bot.New(o)
	if err != nil {
		h.t.Fatal(err)
	}
	if h.transport != nil {
		c := b.Session().Client
		c.Transport = h.transport(c.Transport)
	}
	if err := b.Start(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	h.bot = b
	h.t.Cleanup(h.stop)
}

// stop closes the bot and its store (idempotent).
func (h *harness) stop() {
	if h.bot != nil {
		_ = h.bot.Close()
		h.bot = nil
	}
	if h.store != nil {
		_ = h.store.Close()
		h.store = nil
	}
}

// restart simulates a process restart on the same database.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// run runs a slash command and fails the test if the bot didn't answer.
func (h *harness) run(user, path string, opts ...discordsim.Opt) *discordsim.Response {
	h.t.Helper()
	resp, err := h.sim.RunCommand(h.ctx, user, h.guild, path, opts...)
	if err != nil {
		h.t.Fatalf("/%s by %s: %v", path, user, err)
	}
	return resp
}

// click clicks a button on a response or message, found by custom_id
// action prefix ("join", "rsvp"…) and optional argument.
func (h *harness) click(user string, channelID, messageID string, buttons []discordsim.Button, action, arg string) *discordsim.Response {
	h.t.Helper()
	for _, b := range buttons {
		id, err := bot.DecodeCustomID(b.CustomID)
		if err != nil || id.Action != action || (arg != "" && id.Arg != arg) {
			continue
		}
		resp, err := h.sim.Click(h.ctx, user, channelID, messageID, b.CustomID)
		if err != nil {
			h.t.Fatalf("click %s:%s by %s: %v", action, arg, user, err)
		}
		return resp
	}
	h.t.Fatalf("no %s:%s button among %+v", action, arg, buttons)
	return nil
}

// clickOn clicks a button of an interaction response.
func (h *harness) clickOn(user string, r *discordsim.Response, action, arg string) *discordsim.Response {
	h.t.Helper()
	return h.click(user, r.ChannelID, r.MessageID, r.Buttons(), action, arg)
}

// setup runs /setup as the admin with the facilitator role and category.
func (h *harness) setup(opts ...discordsim.Opt) *discordsim.Response {
	h.t.Helper()
	all := append([]discordsim.Opt{discordsim.O("facilitator_role", h.facRole), discordsim.O("category", h.category)}, opts...)
	return h.run(h.admin, "setup", all...)
}

// circle returns a circle from the store by name.
func (h *harness) circle(name string) circles.Circle {
	h.t.Helper()
	c, err := h.store.CircleByName(h.ctx, h.guild, name)
	if err != nil {
		h.t.Fatalf("circle %q: %v", name, err)
	}
	return c
}

// wantContains fails unless s contains every part.
func wantContains(t *testing.T, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Fatalf("%q\n does not contain %q", s, p)
		}
	}
}

func TestBotConnectsAndRegistersCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cmds := h.sim.Commands("")
	names := map[string]bool{}
	for _, c := range cmds {
		names[c.Name] = true
		if c.Type != discordgo.MessageApplicationCommand && c.Description == "" {
			t.Errorf("/%s has no description", c.Name)
		}
	}
	for _, want := range []string{"circles", "join", "leave", "mycircles", "helpnow", "privacy", "circle", "setup", bot.FlagCommand} {
		if !names[want] {
			t.Errorf("command %q not registered", want)
		}
	}
	if got := h.sim.Intents(); got != int(bot.Intents) {
		t.Errorf("intents %d, want %d", got, bot.Intents)
	}
	// A restart overwrites the set instead of adding to it.
	h.restart()
	if n := len(h.sim.Commands("")); n != len(cmds) {
		t.Fatalf("after restart %d commands, want %d", n, len(cmds))
	}
}

// responseText flattens a response's content and embeds for assertions.
func responseText(r *discordsim.Response) string {
	var sb strings.Builder
	sb.WriteString(r.Content)
	for _, e := range r.Embeds {
		sb.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			sb.WriteString("\n" + f.Name + "\n" + f.Value)
		}
		if e.Footer != nil {
			sb.WriteString("\n" + e.Footer.Text)
		}
	}
	return sb.String()
}

// recorder answers interactions handed to the router directly, for the
// few inputs the simulated client would refuse to send (a forged modal, a
// DM-less click) but a hostile client could.
type recorder struct {
	mu   sync.Mutex
	resp *discordgo.InteractionResponse
}

func (f *recorder) InteractionRespond(_ *discordgo.Interaction, r *discordgo.InteractionResponse, _ ...discordgo.RequestOption) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resp = r
	return nil
}

func (f *recorder) InteractionResponseEdit(_ *discordgo.Interaction, e *discordgo.WebhookEdit, _ ...discordgo.RequestOption) (*discordgo.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resp = &discordgo.InteractionResponse{Data: &discordgo.InteractionResponseData{Content: *e.Content}}
	return &discordgo.Message{}, nil
}

func (f *recorder) FollowupMessageCreate(_ *discordgo.Interaction, _ bool, p *discordgo.WebhookParams, _ ...discordgo.RequestOption) (*discordgo.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resp = &discordgo.InteractionResponse{Data: &discordgo.InteractionResponseData{Content: p.Content, Flags: p.Flags}}
	return &discordgo.Message{}, nil
}
