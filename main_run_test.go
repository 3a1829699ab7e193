package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/bot/discordsim"
)

// TestRunConnectsThroughConfigAlone points `circlebot run` at the simulator
// with nothing but a config file and DISCORD_TOKEN — the same way a bot is
// run behind a REST proxy — and checks it connects, registers its commands
// and shuts down cleanly.
func TestRunConnectsThroughConfigAlone(t *testing.T) {
	sim, err := discordsim.New(discordsim.Options{HeartbeatInterval: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	owner := sim.AddUser("owner")
	sim.AddGuild("Config Test", owner)

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	toml := fmt.Sprintf("[discord]\napplication_id = %q\napi_url = %q\n\n[data]\npath = %q\n",
		sim.ApplicationID(), sim.APIURL(), filepath.Join(dir, "bot.db"))
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DISCORD_TOKEN", sim.Token())

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"run", "--config", cfg}, &stdout, &stderr) }()

	wait, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	err = sim.WaitFor(wait, func() bool { return len(sim.Commands("")) > 0 })
	cancel()
	code := <-done
	if err != nil {
		t.Fatalf("the bot never registered its commands: %v\nstderr:\n%s", err, stderr.String())
	}
	if code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr.String())
	}
	if strings.Contains(stderr.String(), sim.Token()) {
		t.Fatal("the token was logged")
	}
	if _, err := os.Stat(filepath.Join(dir, "bot.db")); err != nil {
		t.Fatalf("no database: %v", err)
	}
}

// TestRunRefusesAMetricsAddressInUse: a [metrics] listen address that can't
// be bound is a configuration error, said before anything connects.
func TestRunRefusesAMetricsAddressInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg, _ := writeConfig(t, fmt.Sprintf("\n[metrics]\nlisten = %q\n", taken.Addr().String()))
	t.Setenv("DISCORD_TOKEN", "not-a-real-token")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "--config", cfg}, &stdout, &stderr); code != exitUsage {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, exitUsage, stderr.String())
	}
	wantIn(t, "stderr", stderr.String(), "metrics.listen", taken.Addr().String(), "can't listen there")
}
