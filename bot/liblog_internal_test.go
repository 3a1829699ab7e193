package bot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// records reads the JSON lines a logger wrote.
func records(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		out = append(out, rec)
	}
	return out
}

// discordgo's lines become slog records at the matching level, marked as
// discordgo's, in the routed logger's format. (The process's discordgo.Logger
// is left alone: a line of its own is given straight to the hook.)
func TestDiscordgoLogLines(t *testing.T) {
	t.Parallel()
	d := &discordgoLog{}
	var buf bytes.Buffer
	restore := d.route(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	d.line(discordgo.LogError, 2, "error reconnecting to gateway, %s", errors.New("dial tcp: refused"))
	d.line(discordgo.LogWarning, 2, "error reading from gateway %s websocket, %s", "wss://gateway.discord.gg", errors.New("unexpected EOF"))
	d.line(discordgo.LogInformational, 2, "First Packet:\n%#v\n", 7)
	d.line(discordgo.LogDebug, 2, "debugging")
	d.line(discordgo.LogError, 2, "error connecting to gateway %s, %s", "wss://gateway.discord.gg", fmt.Errorf("dial: %w", errGatewayStopped))
	d.line(discordgo.LogWarning, 2, "error reading from gateway %s websocket, %s", "wss://gateway.discord.gg", &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed})
	restore()

	want := []struct{ level, msg string }{
		{"ERROR", "error reconnecting to gateway, dial tcp: refused"},
		{"WARN", "error reading from gateway wss://gateway.discord.gg websocket, unexpected EOF"},
		{"INFO", "First Packet:\n7"},
		{"DEBUG", "debugging"},
		{"DEBUG", "error connecting to gateway wss://gateway.discord.gg, dial: " + errGatewayStopped.Error()},
		{"DEBUG", "error reading from gateway wss://gateway.discord.gg websocket, read tcp: use of closed network connection"}, // a quick close
	}
	recs := records(t, &buf)
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(recs), len(want), buf.String())
	}
	for i, w := range want {
		if recs[i]["level"] != w.level || recs[i]["msg"] != w.msg || recs[i]["lib"] != "discordgo" {
			t.Errorf("record %d = %v, want level %s, msg %q, lib discordgo", i, recs[i], w.level, w.msg)
		}
	}
}

// Lines go to the latest route still in place, whatever order routes end in.
func TestDiscordgoLogRoutes(t *testing.T) {
	t.Parallel()
	d := &discordgoLog{}
	var a, b, c bytes.Buffer
	logger := func(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(buf, nil)) }
	endA := d.route(logger(&a))
	endB := d.route(logger(&b))
	d.line(discordgo.LogWarning, 2, "one")
	endB()
	endB() // twice is once
	d.line(discordgo.LogWarning, 2, "two")
	endC := d.route(logger(&c))
	endA()
	d.line(discordgo.LogWarning, 2, "three")
	endC()
	for name, tc := range map[string]struct {
		buf  *bytes.Buffer
		want string
	}{"a": {&a, "two"}, "b": {&b, "one"}, "c": {&c, "three"}} {
		if got := tc.buf.String(); strings.Count(got, "msg=") != 1 || !strings.Contains(got, "msg="+tc.want) {
			t.Errorf("route %s got %q, want only %q", name, got, tc.want)
		}
	}
	if len(d.sinks) != 0 {
		t.Errorf("%d routes left", len(d.sinks))
	}
}

// The lines discordgo writes with the standard log package, past its
// Logger, come out in the routed logger's format too.
func TestDiscordgoStandardLogLines(t *testing.T) {
	t.Parallel()
	d := &discordgoLog{}
	var buf bytes.Buffer
	defer d.route(slog.New(slog.NewJSONHandler(&buf, nil)))()
	fmt.Fprintf(stdLog{d}, "error closing resp body\n")
	recs := records(t, &buf)
	if len(recs) != 1 || recs[0]["msg"] != "error closing resp body" || recs[0]["level"] != "WARN" || recs[0]["lib"] != "discordgo" {
		t.Errorf("records %v", recs)
	}
}

// With no route, a standard log line goes to stderr, not round in a loop
// through slog's default logger (which writes to the log package).
func TestDiscordgoStandardLogUnrouted(t *testing.T) {
	t.Parallel()
	d := &discordgoLog{}
	if n, err := fmt.Fprint(stdLog{d}, "to stderr\n"); n != 10 || err != nil {
		t.Errorf("Write = %d, %v", n, err)
	}
}
