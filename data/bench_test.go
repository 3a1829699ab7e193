package data

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// seedCircles creates n circles in one guild in one transaction.
func seedCircles(tb testing.TB, s *Store, n int) []*circles.Circle {
	tb.Helper()
	cs := make([]*circles.Circle, n)
	for i := range cs {
		c := newCircle(guildA, fmt.Sprintf("Circle %06d", i), withCapacity(circles.MaxCapacity, circles.MaxCapacity))
		cs[i] = &c
	}
	if err := s.CreateCircles(context.Background(), cs); err != nil {
		tb.Fatal(err)
	}
	return cs
}

// seedSessions inserts perCircle weekly sessions for each circle, every one
// with a due time, in one transaction with a prepared statement; going
// through EnsureSession would make the setup a transaction per row.
func seedSessions(tb testing.TB, s *Store, cs []*circles.Circle, perCircle int) {
	tb.Helper()
	tx, err := s.w.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	st, err := tx.Prepare(`INSERT INTO sessions (guild_id, circle_id, start_at, end_at, state, due_at) VALUES (?, ?, ?, ?, 'planned', ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	for i, c := range cs {
		for k := range perCircle {
			start := t0.Add(time.Duration(k)*7*24*time.Hour + time.Duration(i)*time.Minute)
			if _, err := st.Exec(c.GuildID, c.ID, start.UnixMilli(), start.Add(time.Hour).UnixMilli(), start.Add(-time.Hour).UnixMilli()); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

func BenchmarkJoin(b *testing.B) {
	s := MustOpen(b)
	cs := seedCircles(b, s, 1000)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		c := *cs[i%len(cs)]
		if _, err := s.Join(ctx, joinReq(c, user(i), circles.ModeMember), t0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkNextDue(b *testing.B) {
	s := MustOpen(b)
	seedSessions(b, s, seedCircles(b, s, 1000), 100) // 100k sessions
	ctx := context.Background()
	for b.Loop() {
		if _, ok, err := s.NextDue(ctx, circles.Shards{}); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkDueSessions(b *testing.B) {
	s := MustOpen(b)
	seedSessions(b, s, seedCircles(b, s, 1000), 100)
	ctx := context.Background()
	for b.Loop() {
		if got, err := s.DueSessions(ctx, t0, 10, circles.Shards{}); err != nil || len(got) != 10 {
			b.Fatal(len(got), err)
		}
	}
}

func BenchmarkCreateCircles100k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s := MustOpen(b)
		b.StartTimer()
		seedCircles(b, s, 100_000)
	}
}

// BenchmarkJoinNotingLocale: a join click as the bot makes it (noting the
// clicker's locale in the join) in a guild of 1,000 circles with 10
// members each — the locale's membership test must not grow with the
// guild (seeUserLocaleSQL).
func BenchmarkJoinNotingLocale(b *testing.B) {
	s := MustOpen(b)
	cs := seedCircles(b, s, 1000)
	ctx := context.Background()
	for n, c := range cs {
		for k := range 10 {
			if _, err := s.Join(ctx, joinReq(*c, user(1_000_000+n*10+k), circles.ModeMember), t0); err != nil {
				b.Fatal(err)
			}
		}
	}
	i := 0
	for b.Loop() {
		c := *cs[i%len(cs)]
		req := joinReq(c, user(i), circles.ModeListener)
		req.Locale = "de"
		if _, err := s.Join(ctx, req, t0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
