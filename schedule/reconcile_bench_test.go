package schedule

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
)

// Goals of issue 15c.
const (
	restartGoal = 3 * time.Second // Reconcile at 100k circles with everything planned
	rssGoalMiB  = 64              // peak RSS at 1k guilds / 10k circles / 100k memberships
)

// seedCircles creates n circles, 100 per guild, meeting Tuesday to Sunday
// (nothing is due at monday), each with members members; nothing is
// planned.
func seedCircles(b *testing.B, path string, n, members int) {
	b.Helper()
	seedCirclesOf(b, path, n, members, 100, func(g int) string { return fmt.Sprintf("guild-%d", g) })
}

// seedCirclesOf is seedCircles with perGuild circles in each guild, named
// by guildID.
func seedCirclesOf(b *testing.B, path string, n, members, perGuild int, guildID func(g int) string) {
	b.Helper()
	ctx := context.Background()
	st, err := data.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	began := time.Now()
	for g := 0; g*perGuild < n; g++ {
		if err := st.SaveGuildSettings(ctx, circles.GuildSettings{GuildID: guildID(g), RetentionHours: 24, ReminderMinutes: 60}); err != nil {
			b.Fatal(err)
		}
	}
	const chunk = 5000
	for lo := 0; lo < n; lo += chunk {
		var cs []*circles.Circle
		for i := lo; i < min(lo+chunk, n); i++ {
			rule := circles.Weekly(time.Weekday(1+i%6+1)%7, 8+i%12, (i%4)*15, benchZones[i%len(benchZones)], time.Hour)
			c := circles.NewCircle(guildID(i/perGuild), fmt.Sprintf("circle %d", i), circles.KindPeer, rule, "fac", monday)
			c.Prompts = []string{"one", "two", "three"}
			c.Capacity = max(c.Capacity, members)
			cs = append(cs, &c)
		}
		if err := st.CreateCircles(ctx, cs); err != nil {
			b.Fatal(err)
		}
		for _, c := range cs {
			for m := range members {
				req := circles.JoinRequest{GuildID: c.GuildID, CircleID: c.ID, UserID: fmt.Sprintf("user-%d-%d", c.ID, m), Mode: circles.ModeMember, GuidelinesVersion: c.Guidelines.Version}
				if _, err := st.Join(ctx, req, monday); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Logf("seeded %d circles with %d members each in %s", n, members, time.Since(began).Round(time.Millisecond))
}

// startOnce is one start of the scheduler's part of the bot: open the
// store, Reconcile at now, close.
func startOnce(tb testing.TB, path string, now time.Time) {
	ctx := context.Background()
	st, err := data.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	s := New(Options{Store: st, Actions: nopActions{}, Clock: circles.NewManualClock(now), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.Reconcile(ctx); err != nil {
		tb.Fatal(err)
	}
}

// copyDB copies a closed database (no -wal file) to a new file.
func copyDB(b *testing.B, from string) string {
	b.Helper()
	if _, err := os.Stat(from + "-wal"); err == nil {
		b.Fatalf("%s has a -wal file: not closed", from)
	}
	src, err := os.ReadFile(from)
	if err != nil {
		b.Fatal(err)
	}
	to := filepath.Join(b.TempDir(), "copy.db")
	if err := os.WriteFile(to, src, 0o600); err != nil {
		b.Fatal(err)
	}
	return to
}

// BenchmarkReconcile measures the scheduler's start at 100k circles (1k
// guilds): the first start, which plans every circle, and a restart an hour
// later, with every next session planned and nothing due. The restart must
// take at most restartGoal.
func BenchmarkReconcile(b *testing.B) {
	const n = 100_000
	fresh := filepath.Join(b.TempDir(), "fresh.db")
	seedCircles(b, fresh, n, 0)
	planned := copyDB(b, fresh)
	startOnce(b, planned, monday)
	b.Run("first", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			path := copyDB(b, fresh)
			b.StartTimer()
			startOnce(b, path, monday)
		}
	})
	b.Run("restart", func(b *testing.B) {
		for range b.N {
			startOnce(b, planned, monday.Add(time.Hour))
		}
		b.StopTimer()
		if per := b.Elapsed() / time.Duration(b.N); per > restartGoal {
			b.Fatalf("a restart at %d circles took %s, goal %s", n, per.Round(time.Millisecond), restartGoal)
		}
		ctx := context.Background()
		st, err := data.Open(ctx, planned)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		if todo, err := st.CirclesToPlan(ctx, monday.Add(time.Hour), circles.Shards{}); err != nil || len(todo) != 0 {
			b.Fatalf("after a restart %d circles are left to plan (%v)", len(todo), err)
		}
	})
}

// BenchmarkStartRSS measures the peak resident memory of a process that
// opens the store and reconciles, at 1k guilds / 10k circles / 100k
// memberships: a first start, then a restart on the same file. Each runs
// in a child process (this test binary, running TestStartChild), which
// reports its VmHWM (the peak of its own address space; the parent's
// rusage would count the memory of the fork it came from); it must be at
// most rssGoalMiB.
func BenchmarkStartRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs Linux's /proc/self/status")
	}
	const n, members = 10_000, 10
	fresh := filepath.Join(b.TempDir(), "fresh.db")
	seedCircles(b, fresh, n, members)
	for range b.N {
		b.StopTimer()
		path := copyDB(b, fresh)
		b.StartTimer()
		for _, run := range []struct {
			name string
			at   time.Time
		}{{"first", monday}, {"restart", monday.Add(time.Hour)}} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestStartChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "CIRCLEBOT_START_DB="+path, "CIRCLEBOT_START_AT="+run.at.Format(time.RFC3339))
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("%s start: %v\n%s", run.name, err, out)
			}
			_, rest, ok := strings.Cut(string(out), "VmHWM:")
			var kib float64
			if _, err := fmt.Sscan(rest, &kib); !ok || err != nil {
				b.Fatalf("%s start: no VmHWM in the output:\n%s", run.name, out)
			}
			mib := kib / 1024
			b.ReportMetric(mib, run.name+"-peak-RSS-MiB")
			if mib > rssGoalMiB {
				b.Fatalf("%s start: peak RSS %.1f MiB, goal %d MiB", run.name, mib, rssGoalMiB)
			}
		}
	}
}

// TestStartChild is BenchmarkStartRSS's child process; it does nothing in a
// normal test run.
func TestStartChild(t *testing.T) {
	path := os.Getenv("CIRCLEBOT_START_DB")
	if path == "" {
		t.Skip("only as BenchmarkStartRSS's child process")
	}
	at, err := time.Parse(time.RFC3339, os.Getenv("CIRCLEBOT_START_AT"))
	if err != nil {
		t.Fatal(err)
	}
	startOnce(t, path, at)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Print(line)
		}
	}
}
