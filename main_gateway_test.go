package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// lockedBuffer is an io.Writer a test can read while the command still
// writes to it from other goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newSim starts a simulated Discord with one server the bot is in.
func newSim(t *testing.T) (sim *discordsim.Sim, guild string) {
	t.Helper()
	sim, err := discordsim.New(discordsim.Options{HeartbeatInterval: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim, sim.AddGuild("Harbour Community", sim.AddUser("owner"))
}

// simConfig writes a config that points the bot at sim, its database in a
// temporary directory; extra is appended verbatim.
func simConfig(t *testing.T, sim *discordsim.Sim, extra string) (cfgPath, dbPath string) {
	t.Helper()
	dir := t.TempDir()
	dbPath = filepath.Join(dir, "circlebot.db")
	cfgPath = filepath.Join(dir, "config.toml")
	toml := fmt.Sprintf("[discord]\napplication_id = %q\napi_url = %q\n\n[data]\npath = %q\n%s",
		sim.ApplicationID(), sim.APIURL(), dbPath, extra)
	if err := os.WriteFile(cfgPath, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

// background is `circlebot ARGS…` running in a goroutine.
type background struct {
	cancel         context.CancelFunc
	done           chan int
	stdout, stderr lockedBuffer
}

func runInBackground(args ...string) *background {
	ctx, cancel := context.WithCancel(context.Background())
	r := &background{cancel: cancel, done: make(chan int, 1)}
	go func() { r.done <- run(ctx, args, &r.stdout, &r.stderr) }()
	return r
}

// exit waits for the command to end by itself and returns its exit code.
func (r *background) exit(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case code := <-r.done:
		return code
	case <-time.After(within):
		r.cancel()
		<-r.done
		t.Fatalf("the command did not end within %v\nstderr:\n%s", within, r.stderr.String())
		return -1
	}
}

// stop is Ctrl+C: it cancels the command and returns its exit code.
func (r *background) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	return r.exit(t, 30*time.Second)
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, sim *discordsim.Sim, what string, r *background, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sim.WaitFor(ctx, cond); err != nil {
		t.Fatalf("%s: %v\nstderr:\n%s", what, err, r.stderr.String())
	}
}

// jsonLines parses every line of out as a JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a line on stderr is not JSON (%v): %q", err, line)
			continue
		}
		recs = append(recs, rec)
	}
	return recs
}

// When Discord refuses the first connection for good, `circlebot run`
// says what to do in plain words and exits 2, instead of a raw error.
func TestRunRefusedAtStart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(*discordsim.Sim)
		token  func(*discordsim.Sim) string
		format string
		want   []string
	}{
		{
			name:  "wrong token",
			token: func(*discordsim.Sim) string { return "MTIz.not-the.right-token" },
			want:  []string{"4004", "did not accept the bot token", "Developer Portal", "Bot → Reset Token", "DISCORD_TOKEN"},
		},
		{
			name:   "wrong token, JSON log",
			token:  func(*discordsim.Sim) string { return "MTIz.not-the.right-token" },
			format: "json",
			want:   []string{"4004", "Bot → Reset Token", "DISCORD_TOKEN"},
		},
		{
			name:  "members intent disabled",
			setup: func(sim *discordsim.Sim) { sim.SetPrivilegedIntentsEnabled(false, true, true) },
			want:  []string{"4014", "Server Members Intent", "Developer Portal", "Bot → Privileged Gateway Intents"},
		},
		{
			name:   "members intent disabled, JSON log",
			setup:  func(sim *discordsim.Sim) { sim.SetPrivilegedIntentsEnabled(false, true, true) },
			format: "json",
			want:   []string{"4014", "Server Members Intent", "Privileged Gateway Intents"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, _ := newSim(t)
			if tc.setup != nil {
				tc.setup(sim)
			}
			token := sim.Token()
			if tc.token != nil {
				token = tc.token(sim)
			}
			t.Setenv("DISCORD_TOKEN", token)
			extra := ""
			if tc.format != "" {
				extra = fmt.Sprintf("\n[log]\nformat = %q\n", tc.format)
			}
			cfg, _ := simConfig(t, sim, extra)

			r := runInBackground("run", "--config", cfg)
			code := r.exit(t, 30*time.Second)
			errOut := r.stderr.String()
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitUsage, errOut)
			}
			wantIn(t, "stderr", errOut, tc.want...)
			if strings.Contains(errOut, token) {
				t.Error("the token was logged")
			}
			if tc.format == "json" {
				jsonLines(t, errOut) // the advice is in the log record only
			} else {
				wantIn(t, "stderr", errOut, "circlebot: Discord closed the gateway with code")
			}
			if n := sim.GatewayStats().Identifies; n != 0 {
				t.Errorf("%d IDENTIFYs accepted", n)
			}
		})
	}
}

// Discord refusing a reconnection while the bot runs ends `circlebot run`
// with exit 2 and the advice, instead of discordgo's endless reconnect
// loop. A world closed under the running bot closes its gateway with
// 4004, and refuses the RESUME discordgo tries next with 4004 too.
func TestRunRefusedWhileRunning(t *testing.T) {
	sim, _ := newSim(t)
	t.Setenv("DISCORD_TOKEN", sim.Token())
	cfg, _ := simConfig(t, sim, "")

	r := runInBackground("run", "--config", cfg)
	waitFor(t, sim, "the bot never registered its commands", r, func() bool { return len(sim.Commands("")) > 0 })
	sim.Close()
	code := r.exit(t, 30*time.Second)
	errOut := r.stderr.String()
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitUsage, errOut)
	}
	wantIn(t, "stderr", errOut, "circlebot: Discord closed the gateway with code 4004", "Bot → Reset Token", "DISCORD_TOKEN", "lib=discordgo")
	if strings.Contains(errOut, sim.Token()) {
		t.Error("the token was logged")
	}
}

// With log.format = "json", discordgo's own lines are JSON like the rest:
// every line on stderr parses, and the warning discordgo logs when the
// gateway drops is among them, marked as discordgo's.
func TestRunLogsDiscordgoInTheConfiguredFormat(t *testing.T) {
	sim, _ := newSim(t)
	t.Setenv("DISCORD_TOKEN", sim.Token())
	cfg, _ := simConfig(t, sim, "\n[log]\nformat = \"json\"\n")

	r := runInBackground("run", "--config", cfg)
	waitFor(t, sim, "the bot never registered its commands", r, func() bool { return len(sim.Commands("")) > 0 })
	sim.DropGateway()
	waitFor(t, sim, "discordgo never resumed after the drop", r, func() bool {
		return sim.GatewayStats().Resumes > 0 && strings.Contains(r.stderr.String(), `"lib":"discordgo"`)
	})
	if code := r.stop(t); code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", code, r.stderr.String())
	}

	var fromDiscordgo []map[string]any
	for _, rec := range jsonLines(t, r.stderr.String()) {
		if rec["lib"] == "discordgo" {
			fromDiscordgo = append(fromDiscordgo, rec)
		}
	}
	if len(fromDiscordgo) == 0 {
		t.Fatalf("no line from discordgo:\n%s", r.stderr.String())
	}
	warn := fromDiscordgo[0]
	if warn["level"] != "WARN" || !strings.Contains(fmt.Sprint(warn["msg"]), "error reading from gateway") {
		t.Errorf("discordgo's first line: %v; want its WARN that the gateway dropped", warn)
	}
}
