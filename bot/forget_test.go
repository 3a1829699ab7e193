package bot

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
	"github.com/circlebot/circlebot/data"
	"github.com/circlebot/circlebot/schedule"
)

// TestForgetSessions: the problems told about a session are forgotten
// when the scheduler says it is finished (ForgetSession), and a purged
// guild's unfinished sessions are forgotten before its data goes
// (forgetGuildSessions); other sessions' records stay.
func TestForgetSessions(t *testing.T) {
	ctx := context.Background()
	st, err := data.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &Bot{store: st, log: slog.New(slog.DiscardHandler)}
	b.sched = schedule.New(schedule.Options{Store: st, Actions: b, Logger: b.log})

	now := time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)
	session := func(guild string) int64 {
		t.Helper()
		c := circles.NewCircle(guild, "Circle", circles.KindPeer, circles.Weekly(time.Tuesday, 19, 0, "UTC", time.Hour), "1", now)
		if err := st.CreateCircle(ctx, &c); err != nil {
			t.Fatal(err)
		}
		s, _, err := st.EnsureSession(ctx, circles.Session{CircleID: c.ID, Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	finished, purged, other := session("10"), session("20"), session("30")
	for _, id := range []int64{finished, purged, other} {
		b.firstTelling(id, problemNoCategory, 0)
		b.firstTelling(id, problemCategoryGone, 0)
	}

	b.ForgetSession(finished)
	b.forgetGuildSessions(ctx, "20")
	for _, tc := range []struct {
		name   string
		id     int64
		forgot bool
	}{{"finished", finished, true}, {"purged", purged, true}, {"other", other, false}} {
		for _, p := range []problem{problemNoCategory, problemCategoryGone} {
			if got := b.firstTelling(tc.id, p, 0); got != tc.forgot {
				t.Errorf("%s session, problem %d: told again %v, want %v", tc.name, p, got, tc.forgot)
			}
		}
	}
}

// TestForgetLocale: erasing someone's data in one server forgets the
// locale remembered for them there; erasing it everywhere forgets it in
// every server, and nobody else's.
func TestForgetLocale(t *testing.T) {
	b := &Bot{}
	for _, k := range []string{"g1/u1", "g2/u1", "g1/u2", "g1/xu1"} {
		b.locales.seen.Store(k, "de")
	}
	held := func(k string) bool { _, ok := b.locales.seen.Load(k); return ok }
	b.forgetLocale("g1", "u1")
	if held("g1/u1") || !held("g2/u1") {
		t.Fatalf("erasure in g1: g1/u1 %v, g2/u1 %v", held("g1/u1"), held("g2/u1"))
	}
	b.forgetLocale("", "u1")
	if held("g2/u1") || !held("g1/u2") || !held("g1/xu1") {
		t.Errorf("erasure everywhere: g2/u1 %v, g1/u2 %v, g1/xu1 %v", held("g2/u1"), held("g1/u2"), held("g1/xu1"))
	}
}
