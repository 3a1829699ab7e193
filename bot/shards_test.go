package bot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
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

// process is one circlebot process of a sharded bot: its own store on the
// shared database file, its own bot and discordgo sessions, its own clock.
type process struct {
	store *data.Store
	bot   *bot.Bot
	clock *circles.ManualClock
}

// startProcess starts a bot on dbPath with o (token, URL, clock, store
// and the identify settings filled in), closed at the end of the test.
func startProcess(t *testing.T, ctx context.Context, sim *discordsim.Sim, dbPath string, o bot.Options) *process {
	t.Helper()
	p, err := tryStartProcess(t, ctx, sim, dbPath, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// tryStartProcess is startProcess for another goroutine than the test's.
func tryStartProcess(t *testing.T, ctx context.Context, sim *discordsim.Sim, dbPath string, o bot.Options) (*process, error) {
	p := &process{clock: circles.NewManualClock(t0)}
	store, err := data.Open(ctx, dbPath, data.WithClock(p.clock))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = store.Close() })
	p.store = store
	o.Token, o.ApplicationID, o.APIURL = sim.Token(), sim.ApplicationID(), sim.APIURL()
	o.Store, o.Clock = store, p.clock
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	o.IdentifyInterval, o.IdentifyLockFile = testIdentifyInterval, dbPath+"-identify"
	if o.Defaults.TimeZone == "" {
		o.Defaults = bot.Defaults{TimeZone: "Europe/Berlin", Capacity: 10, SessionMinutes: 60, RetentionHours: 24}
	}
	b, err := bot.New(o)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = b.Close() }) // before the store's close: cleanups run last first
	p.bot = b
	return p, b.Start(ctx)
}

// newShardedSim is a world whose IDENTIFY window is the tests'.
func newShardedSim(t *testing.T, o discordsim.Options) *discordsim.Sim {
	t.Helper()
	o.HeartbeatInterval, o.IdentifyInterval = 500*time.Millisecond, testIdentifyInterval
	sim, err := discordsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

// commandWrites counts the bot's writes of its command set.
func commandWrites(sim *discordsim.Sim) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Method == "PUT" && strings.Contains(r.Route, "/commands") {
			n++
		}
	}
	return n
}

// Past 2,500 servers Discord refuses an unsharded gateway (4011), and
// circlebot says to shard; with discord.shards = "auto" (the default) it
// shards as Discord recommends, a shard per 1,000 servers, identifying
// them in turn, and registers its commands once.
func TestShardingRequired(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	sim := newShardedSim(t, discordsim.Options{})
	for i := range 2500 {
		sim.AddGuild(fmt.Sprint("Server ", i), "") // no owner to welcome
	}
	dir := t.TempDir()

	store, err := data.Open(ctx, filepath.Join(dir, "unsharded.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	b, err := bot.New(bot.Options{Token: sim.Token(), APIURL: sim.APIURL(), Store: store, Logger: testLogger(t), ShardCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Start(ctx)
	_ = b.Close()
	var refused *bot.GatewayError
	if !errors.As(err, &refused) || refused.Code != 4011 || !strings.Contains(refused.Advice, `discord.shards to "auto"`) {
		t.Fatalf("one shard in 2,500 servers: Start = %v (%+v), want 4011 with advice to shard", err, refused)
	}
	if st := sim.GatewayStats(); st.Identifies != 0 {
		t.Fatalf("refused, yet %d sessions started", st.Identifies)
	}

	p := startProcess(t, ctx, sim, filepath.Join(dir, "auto.db"), bot.Options{})
	if got := p.bot.Shards(); got.Count != 3 || !slices.Equal(got.IDs, []int{0, 1, 2}) {
		t.Fatalf("auto: shards %+v, want 0-2 of 3", got)
	}
	// Every shard is in (a shard the loaded machine made drop comes
	// back), and none identified too soon after another.
	if err := sim.WaitFor(ctx, func() bool { return slices.Equal(sim.GatewayStats().ShardsConnected, []int{0, 1, 2}) }); err != nil {
		t.Fatalf("auto: %+v; want shards 0, 1 and 2 connected", sim.GatewayStats())
	}
	if st := sim.GatewayStats(); st.Throttled != 0 || len(st.ShardIdentifies) != 3 || st.ShardIdentifies[0] == 0 || st.ShardIdentifies[2] == 0 {
		t.Fatalf("auto: %+v; want shards 0, 1 and 2 identified, none too soon", st)
	}
	if n := commandWrites(sim); n != 1 {
		t.Fatalf("commands written %d times, want once (not once per shard)", n)
	}
}

// shardedServer is one server of a sharded bot's world: an owner, a
// facilitator, members, a category for sessions.
type shardedServer struct {
	guild, category, facRole, admin, fac string
	members                              []string
}

// addShardedServer adds server n, on shard n % count.
func addShardedServer(sim *discordsim.Sim, n, count, members int) shardedServer {
	s := shardedServer{admin: sim.AddUser(fmt.Sprint("owner-", n))}
	s.guild = sim.AddGuildOnShard(fmt.Sprint("Server ", n), s.admin, n%count, count)
	s.facRole = sim.AddRole(s.guild, "Facilitators", discordgo.PermissionManageChannels) // so that they see /circle
	s.category = sim.AddCategory(s.guild, "Circles")
	s.fac = sim.AddUser(fmt.Sprint("fac-", n))
	sim.AddMember(s.guild, s.fac, s.facRole)
	for i := range members {
		u := sim.AddUser(fmt.Sprint("member-", n, "-", i))
		sim.AddMember(s.guild, u)
		s.members = append(s.members, u)
	}
	return s
}

// run runs a command in the server and fails the test unless answered.
func (s shardedServer) run(t *testing.T, ctx context.Context, sim *discordsim.Sim, user, path string, opts ...discordsim.Opt) *discordsim.Response {
	t.Helper()
	r, err := sim.RunCommand(ctx, user, s.guild, path, opts...)
	if err != nil {
		t.Errorf("%s: /%s: %v", s.guild, path, err)
		return nil
	}
	return r
}

// join runs /join and clicks "I agree — join".
func (s shardedServer) join(t *testing.T, ctx context.Context, sim *discordsim.Sim, user string) {
	t.Helper()
	r := s.run(t, ctx, sim, user, "join", discordsim.O("circle", "Grief circle"))
	if r == nil {
		return
	}
	for _, b := range r.Buttons() {
		if id, err := bot.DecodeCustomID(b.CustomID); err == nil && id.Action == "join" && id.Arg == "member" {
			if _, err := sim.Click(ctx, user, r.ChannelID, r.MessageID, b.CustomID); err != nil {
				t.Errorf("%s: agreeing to join: %v", s.guild, err)
			}
			return
		}
	}
	t.Errorf("%s: no join button in %q", s.guild, r.Content)
}

// Two circlebot processes — real OS processes (shardprocess_test.go),
// each with its own connections to one database file and half of the 4
// shards — serve 8 servers together: each answers the interactions of its
// own servers only, members join in all of them at once while sessions
// open, and when both schedulers wake at the same instant every server's
// session opens exactly once, with every member who agreed inside.
// Neither process waits for the other, yet their IDENTIFYs keep Discord's
// pace (one bucket, shared through the lock file), their REST calls the
// shared limit (no 429s, no other 4xx: an interaction answered twice
// would be one), and the commands are written once.
func TestTwoProcessesShareOneDatabase(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sim := newShardedSim(t, discordsim.Options{})
	var servers []shardedServer
	for n := range 8 {
		servers = append(servers, addShardedServer(sim, n, 4, 6))
	}

	dbPath := filepath.Join(t.TempDir(), "circlebot.db")
	var procs [2]*shardProcess
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() {
			var err error
			if procs[i], err = startShardProcess(t, sim, dbPath, 4, []int{2 * i, 2*i + 1}); err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if st := sim.GatewayStats(); !slices.Equal(st.ShardsConnected, []int{0, 1, 2, 3}) || st.Throttled != 0 || len(st.ShardIdentifies) != 4 {
		t.Fatalf("gateway %+v; want each shard identified, none too soon", st)
	}
	if n := commandWrites(sim); n != 1 {
		t.Fatalf("commands written %d times, want once", n)
	}

	// Each server's admin and facilitator set up a circle, in all servers
	// at once; half the members join before the session, half while it
	// opens.
	for _, s := range servers {
		wg.Go(func() {
			s.run(t, ctx, sim, s.admin, "setup", discordsim.O("facilitator_role", s.facRole), discordsim.O("category", s.category))
			s.run(t, ctx, sim, s.fac, "circle create", discordsim.O("name", "Grief circle"), discordsim.O("kind", "peer"),
				discordsim.O("weekday", "Wednesday"), discordsim.O("time", "19:00"))
			// The gate would DM each facilitator at the open: not this test's subject.
			s.run(t, ctx, sim, s.fac, "circle edit", discordsim.O("circle", "Grief circle"), discordsim.O("facilitator_gate", false))
			for _, m := range s.members[:3] {
				s.join(t, ctx, sim, m)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	for _, p := range procs {
		if _, err := p.do("advance 6h"); err != nil { // 12:00 UTC → 19:00 in Berlin
			t.Fatal(err)
		}
	}
	worked := make([]string, len(procs))
	for i, p := range procs {
		wg.Go(func() {
			var err error
			if worked[i], err = p.do("rundue"); err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		})
	}
	for _, s := range servers {
		for _, m := range s.members[3:] {
			wg.Go(func() { s.join(t, ctx, sim, m) })
		}
	}
	wg.Wait()
	// A member who agreed while the session opened may have been let in
	// by the open itself or left for the next wake: run it.
	for i, p := range procs {
		if _, err := p.do("rundue"); err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	for i, n := range worked {
		if n == "0" {
			t.Errorf("process %d worked on no session", i)
		}
	}

	store, err := data.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, s := range servers {
		var opened []discordsim.Channel
		for _, ch := range sim.Channels(s.guild) {
			if strings.HasPrefix(ch.Name, "grief-circle-") {
				opened = append(opened, ch)
			}
		}
		if len(opened) != 1 {
			t.Errorf("server %s (shard %d): %d session channels, want 1", s.guild, circles.ShardOf(s.guild, 4), len(opened))
			continue
		}
		// Consent given while the session opened reached the channel:
		// every member who agreed is let in.
		for _, m := range s.members {
			if !sim.CanSend(m, opened[0].ID) {
				t.Errorf("server %s: member %s agreed, but can't write in the session", s.guild, m)
			}
		}
		sessions, err := store.Sessions(ctx, circles.SessionFilter{GuildID: s.guild, States: []circles.SessionState{circles.SessionOpen}})
		if err != nil || len(sessions) != 1 || sessions[0].ChannelID != opened[0].ID {
			t.Errorf("server %s: open sessions %+v (%v), want one, in #%s", s.guild, sessions, err, opened[0].Name)
		}
		for i, p := range procs {
			if want := circles.ShardOf(s.guild, 4)/2 == i; p.shards.Owns(s.guild) != want {
				t.Errorf("process %d owns %s: %v, want %v", i, s.guild, !want, want)
			}
		}
	}
	if st := sim.Stats(); st.RateLimited != 0 || st.Invalid != 0 {
		t.Errorf("REST calls answered 429: %d, other 4xx: %d; want none", st.RateLimited, st.Invalid-st.RateLimited)
		for _, r := range sim.Requests() {
			if r.Status >= 400 && r.Status < 500 {
				t.Logf("%d %s %s at %s", r.Status, r.Method, r.Path, r.Time.Format("15:04:05.000"))
			}
		}
	}
}

// One process runs every shard, each on its own session: a shard that
// drops resumes alone, and one Discord refuses for good is logged and left
// off while the others go on serving their servers; only when every shard
// is refused does Wait return, with the refusal.
func TestShardsInOneProcess(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sim := newShardedSim(t, discordsim.Options{MaxConcurrency: 2})
	servers := []shardedServer{addShardedServer(sim, 0, 2, 0), addShardedServer(sim, 1, 2, 0)}
	logs := &logCapture{}
	p := startProcess(t, ctx, sim, filepath.Join(t.TempDir(), "circlebot.db"), bot.Options{ShardCount: 2, Logger: slog.New(logs)})
	for _, s := range servers {
		s.run(t, ctx, sim, s.admin, "helpnow")
	}
	before := sim.GatewayStats()

	sim.DropShard(1)
	if err := sim.WaitFor(ctx, func() bool {
		st := sim.GatewayStats()
		return st.Resumes == before.Resumes+1 && slices.Equal(st.ShardsConnected, []int{0, 1})
	}); err != nil {
		t.Fatalf("shard 1 did not resume: %+v", sim.GatewayStats())
	}
	if st := sim.GatewayStats(); st.Identifies != before.Identifies {
		t.Fatalf("a dropped shard identified again: %+v", st)
	}

	sim.RefuseShard(1, 4011)
	if err := sim.WaitFor(ctx, func() bool { return logs.has("Discord refused a shard") }); err != nil {
		t.Fatal("the refusal of shard 1 was not logged")
	}
	if r := servers[0].run(t, ctx, sim, servers[0].admin, "helpnow"); r == nil {
		t.Fatal("shard 0 stopped serving when shard 1 was refused")
	}
	short, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	defer stop()
	if err := p.bot.Wait(short); err != nil {
		t.Fatalf("Wait returned %v with shard 0 still running", err)
	}

	sim.RefuseShard(0, 4004)
	var refused *bot.GatewayError
	if err := p.bot.Wait(ctx); !errors.As(err, &refused) || refused.Code != 4004 || refused.Shard != 0 {
		t.Fatalf("Wait = %v, want shard 0's 4004 once every shard is refused", err)
	}
}
