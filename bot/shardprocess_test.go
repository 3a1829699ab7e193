package bot_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot"
	"github.com/circlebot/circlebot/bot/discordsim"
	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
)

// A sharded bot's processes are separate OS processes sharing one SQLite
// file, and a test of them is strongest with real ones: the test binary
// runs itself again as a bot process (shardProcessEnv holds what it runs),
// which connects to the test's simulator over loopback, opens the shared
// database with its own connections and takes its IDENTIFY turns through
// the lock file beside it. The test drives each process through its
// stdin, one command a line, each answered on stdout with one line:
//
//	advance 6h   moves the process's clock  → "ok"
//	rundue       runs the due sessions      → "ok N" (sessions worked on)
//	guilds       counts the servers stored  → "ok N"
//	quit (or EOF) closes the bot and exits 0
//
// Before the first command the process answers its start: "ready" and the
// shards it runs as JSON, or "error" and why.
const shardProcessEnv = "CIRCLEBOT_TEST_SHARD_PROCESS"

// shardProcessSpec is what a bot process runs, passed as JSON in
// shardProcessEnv.
type shardProcessSpec struct {
	APIURL, Token, ApplicationID string
	DB                           string
	ShardCount                   int
	ShardIDs                     []int
	Start                        time.Time // the process's clock
	// IdentifyInterval is the identify window the process keeps to;
	// 0 is the tests' (testIdentifyInterval), -1 Discord's 5 s.
	IdentifyInterval time.Duration
}

// runShardProcessIfAsked runs a bot process and exits, when the test
// binary was started as one (TestMain calls it first).
func runShardProcessIfAsked() {
	raw := os.Getenv(shardProcessEnv)
	if raw == "" {
		return
	}
	var spec shardProcessSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	os.Exit(runShardProcess(spec, os.Stdin, os.Stdout))
}

func runShardProcess(spec shardProcessSpec, in io.Reader, out io.Writer) int {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	clock := circles.NewManualClock(spec.Start)
	interval := spec.IdentifyInterval
	switch interval {
	case 0:
		interval = testIdentifyInterval
	case -1:
		interval = 0 // the bot's default, Discord's
	}
	store, err := data.Open(ctx, spec.DB, data.WithClock(clock))
	if err != nil {
		fmt.Fprintln(out, "error", err)
		return 1
	}
	defer store.Close()
	b, err := bot.New(bot.Options{
		Token: spec.Token, ApplicationID: spec.ApplicationID, APIURL: spec.APIURL,
		Store: store, Clock: clock, Logger: log,
		Defaults:   bot.Defaults{TimeZone: "Europe/Berlin", Capacity: 10, SessionMinutes: 60, RetentionHours: 24},
		ShardCount: spec.ShardCount, ShardIDs: spec.ShardIDs,
		IdentifyInterval: interval, IdentifyLockFile: spec.DB + "-identify",
	})
	if err != nil {
		fmt.Fprintln(out, "error", err)
		return 1
	}
	defer b.Close()
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = b.Start(startCtx)
	cancel()
	if err != nil {
		fmt.Fprintln(out, "error", err)
		return 1
	}
	shards, _ := json.Marshal(b.Shards())
	fmt.Fprintln(out, "ready", string(shards))
	lines := bufio.NewScanner(in)
	for lines.Scan() {
		cmd, arg, _ := strings.Cut(lines.Text(), " ")
		switch cmd {
		case "advance":
			d, err := time.ParseDuration(arg)
			if err != nil {
				fmt.Fprintln(out, "error", err)
				continue
			}
			clock.Advance(d)
			fmt.Fprintln(out, "ok")
		case "rundue":
			n, err := b.Scheduler().RunDue(ctx)
			if err != nil {
				fmt.Fprintln(out, "error", strings.ReplaceAll(err.Error(), "\n", "; "))
				continue
			}
			fmt.Fprintln(out, "ok", n)
		case "guilds":
			ids, err := store.GuildIDs(ctx)
			if err != nil {
				fmt.Fprintln(out, "error", err)
				continue
			}
			fmt.Fprintln(out, "ok", len(ids))
		case "quit":
			return 0
		default:
			fmt.Fprintln(out, "error unknown command", cmd)
		}
	}
	return 0
}

// shardProcess is a bot process the test started (startShardProcess).
type shardProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	shards circles.Shards
	stderr *lockedBuffer

	mu sync.Mutex // one command at a time
}

// startShardProcess starts a bot process that runs shards ids of count
// against sim on the database dbPath, and waits for its start. At the
// end of the test the process is told to quit and must exit cleanly (a
// race found in it fails the test too); its log is shown when the test
// failed.
//
// The processes keep an identify window of processIdentifyInterval, five
// times the simulator's: a process slowed by load (its dial and HELLO,
// under -race beside other tests) then still can't bring its IDENTIFY
// within the simulator's window of the other's, while two processes that
// didn't share their turns (the lock file) would identify within
// milliseconds of each other and be throttled.
func startShardProcess(t testing.TB, sim *discordsim.Sim, dbPath string, count int, ids []int) (*shardProcess, error) {
	return startShardProcessSpec(t, sim, shardProcessSpec{DB: dbPath, ShardCount: count, ShardIDs: ids, IdentifyInterval: processIdentifyInterval})
}

const processIdentifyInterval = 5 * testIdentifyInterval

// startShardProcessSpec is startShardProcess for any spec (the
// simulator's URL, token and application, and the start time, filled in).
func startShardProcessSpec(t testing.TB, sim *discordsim.Sim, sp shardProcessSpec) (*shardProcess, error) {
	sp.APIURL, sp.Token, sp.ApplicationID, sp.Start = sim.APIURL(), sim.Token(), sim.ApplicationID(), t0
	ids := sp.ShardIDs
	spec, err := json.Marshal(sp)
	if err != nil {
		return nil, err
	}
	// Not CommandContext: the test's context ends before its cleanups,
	// which quit the process and must see it exit on its own.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), shardProcessEnv+"="+string(spec))
	p := &shardProcess{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.lines = bufio.NewScanner(stdout)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		_, _ = io.WriteString(p.stdin, "quit\n")
		_ = p.stdin.Close()
		stuck := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
		defer stuck.Stop()
		if err := cmd.Wait(); err != nil {
			t.Errorf("bot process of shards %v: %v", ids, err)
		}
		if t.Failed() {
			t.Logf("log of the bot process of shards %v:\n%s", ids, p.stderr.String())
		}
	})
	answer, err := p.answer()
	if err != nil {
		return nil, err
	}
	shards, ok := strings.CutPrefix(answer, "ready ")
	if !ok {
		return nil, fmt.Errorf("bot process of shards %v: %s", ids, answer)
	}
	return p, json.Unmarshal([]byte(shards), &p.shards)
}

// answer reads the process's next line.
func (p *shardProcess) answer() (string, error) {
	if !p.lines.Scan() {
		if err := p.lines.Err(); err != nil {
			return "", err
		}
		return "", fmt.Errorf("the bot process ended: %s", p.stderr.String())
	}
	return p.lines.Text(), nil
}

// do sends the process one command and returns its answer after "ok".
func (p *shardProcess) do(command string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.stdin, command+"\n"); err != nil {
		return "", err
	}
	a, err := p.answer()
	if err != nil {
		return "", err
	}
	if rest, ok := strings.CutPrefix(a, "ok"); ok {
		return strings.TrimSpace(rest), nil
	}
	return "", fmt.Errorf("%s: %s", command, a)
}
