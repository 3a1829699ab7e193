package schedule

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
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
	benchDBs   = map[int]string{}
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
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if p, ok := benchDBs[n]; ok {
		return p
	}
	if benchDir == "" {
		var err error
		if benchDir, err = os.MkdirTemp("", "schedule-bench-"); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	path := filepath.Join(benchDir, fmt.Sprintf("wake-%d.db", n))
	began := time.Now()
	seedCircles(b, path, n, 0)
	st, err := data.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	todo, err := st.CirclesToPlan(ctx, monday)
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
	if due, _ := st.DueSessions(ctx, monday, 0); len(due) != 0 {
		b.Fatalf("%d sessions due at seeding time", len(due))
	}
	b.Logf("seeded %d circles with planned sessions in %s", n, time.Since(began).Round(time.Millisecond))
	benchDBs[n] = path
	return path
}

// BenchmarkWake measures one RunDue with one session due among n planned:
// the cost must not grow with n (the due lookup is an index query).
func BenchmarkWake(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("circles=%d", n), func(b *testing.B) {
			path := seededDB(b, n)
			ctx := context.Background()
			st, err := data.Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			s := New(Options{Store: st, Actions: nopActions{}, Clock: circles.NewManualClock(monday), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			planned, err := st.Sessions(ctx, circles.SessionFilter{States: []circles.SessionState{circles.SessionPlanned}, Limit: 1000})
			if err != nil || len(planned) == 0 {
				b.Fatalf("no planned sessions: %v", err)
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
			}
		})
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
