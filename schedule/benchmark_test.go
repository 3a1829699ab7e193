package schedule

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
)

// benchDir holds one seeded database per size, shared by every run of a
// sub-benchmark in this process (the framework calls each several times).
var (
	benchDir   string
	benchMu    sync.Mutex
	benchDBs   = map[string]string{}
	benchZones = []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// seededDB returns a database with n circles, each with its next session
// planned by Plan at monday 12:00 UTC. Circles meet Tuesday to Sunday, so
// nothing is due at that moment.
func seededDB(b *testing.B, n int) string {
	return seededDBOf(b, n, 100, func(g int) string { return fmt.Sprintf("guild-%d", g) }, "wake")
}

// seededDBOf is seededDB with perGuild circles in each guild, named by
// guildID; name tells the databases apart.
func seededDBOf(b *testing.B, n, perGuild int, guildID func(g int) string, name string) string {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	key := name + "-" + strconv.Itoa(n)
	if p, ok := benchDBs[key]; ok {
		return p
	}
	if benchDir == "" {
		var err error
		if benchDir, err = os.MkdirTemp("", "schedule-bench-"); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	path := filepath.Join(benchDir, key+".db")
	began := time.Now()
	seedCirclesOf(b, path, n, 0, perGuild, guildID)
	st, err := data.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	todo, err := st.CirclesToPlan(ctx, monday, circles.Shards{})
	if err != nil {
		b.Fatal(err)
	}
	var ids []int64
	for _, m := range todo {
		ids = append(ids, m.CircleID)
	}
	s := New(Options{Store: st, Actions: nopActions{}, Clock: circles.NewManualClock(monday), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for _, id := range ids {
		if _, err := s.Plan(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	if due, _ := st.DueSessions(ctx, monday, 0, circles.Shards{}); len(due) != 0 {
		b.Fatalf("%d sessions due at seeding time", len(due))
	}
	b.Logf("seeded %d circles with planned sessions in %s", n, time.Since(began).Round(time.Millisecond))
	benchDBs[key] = path
	return path
}

// BenchmarkWake measures one RunDue with one session due among n planned:
// the cost must not grow with n (the due lookup is an index query).
func BenchmarkWake(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("circles=%d", n), func(b *testing.B) { benchmarkWake(b, seededDB(b, n), circles.Shards{}, false) })
	}
}

// BenchmarkWakeSharded is BenchmarkWake for a sharded bot: 10,000 servers
// on 4 shards, 2 circles each, and a process that runs all shards, two of
// them, or one (each wake with the NextDue after it). The process's due
// queries keep to its own servers by Discord's formula, row by row along
// sessions_due, so its wake must cost what an unsharded one does.
//
//	go test -run '^$' -bench WakeSharded -benchtime 20x ./schedule/
func BenchmarkWakeSharded(b *testing.B) {
	const guilds, perGuild = 10_000, 2
	// Server g is on a shard of 4 that a hash of g picks, so that shards
	// and meeting times don't go together (a plain g % 4 would leave
	// one shard with the week's latest sessions only).
	path := seededDBOf(b, guilds*perGuild, perGuild, func(g int) string {
		return strconv.FormatInt(int64(4*(1000+g)+int(uint32(g)*2654435761>>30))<<22, 10)
	}, "sharded")
	for _, tc := range []struct {
		name   string
		shards circles.Shards
	}{
		{"all", circles.Shards{}},
		{"2_of_4", circles.Shards{Count: 4, IDs: []int{2, 3}}},
		{"1_of_4", circles.Shards{Count: 4, IDs: []int{3}}},
	} {
		b.Run("shards="+tc.name, func(b *testing.B) { benchmarkWake(b, path, tc.shards, true) })
	}
}

// benchmarkWake times RunDue in a scheduler of shards over path, with one
// of its own sessions due each time, and with next the NextDue that
// follows it in Run (the one query that walks past other shards'
// sessions).
func benchmarkWake(b *testing.B, path string, shards circles.Shards, next bool) {
	ctx := context.Background()
	st, err := data.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := New(Options{Store: st, Actions: nopActions{}, Clock: circles.NewManualClock(monday), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Shards: shards})
	all, err := st.Sessions(ctx, circles.SessionFilter{States: []circles.SessionState{circles.SessionPlanned}, Limit: 4000})
	if err != nil {
		b.Fatal(err)
	}
	var planned []circles.Session
	for _, x := range all {
		if shards.Owns(x.GuildID) {
			planned = append(planned, x)
		}
	}
	if len(planned) == 0 {
		b.Fatal("no planned sessions of the shards")
	}
	b.ResetTimer()
	for i := range b.N {
		// Make one session due: a DST notice to send now. Its
		// recorded result moves it back to its reminder time.
		b.StopTimer()
		id := planned[i%len(planned)].ID
		if _, err := st.UpdateSession(ctx, id, func(cur *circles.Session) error {
			cur.Shift, cur.ShiftNoticeSent, cur.DueAt = "benchmark", false, monday
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		steps, err := s.RunDue(ctx)
		if err != nil || steps != 1 {
			b.Fatalf("RunDue = %d, %v; want 1 step", steps, err)
		}
		if !next {
			continue
		}
		if _, ok, err := st.NextDue(ctx, shards); err != nil || !ok {
			b.Fatalf("NextDue = %v, %v", ok, err)
		}
	}
}

// nopActions succeeds at everything instantly.
type nopActions struct{}

func (nopActions) SendReminders(context.Context, circles.Circle, circles.Session) error { return nil }
func (nopActions) NotifyShift(context.Context, circles.Circle, circles.Session) error   { return nil }
func (nopActions) OpenSession(_ context.Context, _ circles.Circle, s circles.Session) (circles.Session, error) {
	return s, nil
}
func (nopActions) PostPrompt(context.Context, circles.Circle, circles.Session, int) error { return nil }
func (nopActions) WarnEnding(context.Context, circles.Circle, circles.Session) error      { return nil }
func (nopActions) DeleteChannel(context.Context, circles.Circle, circles.Session) error   { return nil }
func (nopActions) MissedSession(context.Context, circles.Circle, circles.Session, error) error {
	return nil
}
func (nopActions) SyncAccess(context.Context, circles.Circle, circles.Session) error { return nil }
func (nopActions) FinishOpening(context.Context, circles.Circle, circles.Session) error {
	return nil
}
func (nopActions) CloseSession(context.Context, circles.Circle, circles.Session, *circles.Session) error {
	return nil
}
func (nopActions) StepStuck(context.Context, circles.Circle, circles.Session, Step, error) error {
	return nil
}
func (nopActions) SessionMoved(context.Context, circles.Circle, circles.Session, *circles.Session) error {
	return nil
}
func (nopActions) SessionOverlapped(context.Context, circles.Circle, circles.Session, circles.Session, string) error {
	return nil
}
func (nopActions) ForgetSession(int64) {}
