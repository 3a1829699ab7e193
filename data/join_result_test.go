package data

import (
	"context"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// TestJoinSessionChannels: a join says whether any planned, open or
// closed session of the circle has a channel (the caller then syncs its
// access), and hands back the circle's sessions.
func TestJoinSessionChannels(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief")
	add := func(state, channel string, start time.Time) {
		t.Helper()
		if _, err := s.w.ExecContext(ctx, `INSERT INTO sessions (guild_id, circle_id, start_at, end_at, state, channel_id) VALUES (?, ?, ?, ?, ?, ?)`,
			guildA, c.ID, start.UnixMilli(), start.Add(time.Hour).UnixMilli(), state, nullString(channel)); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	join := func(want bool, sessions int) {
		t.Helper()
		n++
		res, err := s.Join(ctx, joinReq(c, user(n), circles.ModeMember), t0)
		if err != nil {
			t.Fatal(err)
		}
		if res.SessionChannels != want || len(res.Sessions.Sessions) != sessions || res.Circle.ID != c.ID || res.Previous != nil {
			t.Fatalf("join %d: channels %v, %d sessions, circle %d, previous %+v; want channels %v, %d sessions",
				n, res.SessionChannels, len(res.Sessions.Sessions), res.Circle.ID, res.Previous, want, sessions)
		}
	}
	join(false, 0)
	add("deleted", "400000000000000001", t0.Add(-48*time.Hour))
	add("planned", "", t0.Add(24*time.Hour))
	join(false, 1)
	add("closed", "400000000000000002", t0.Add(-2*time.Hour))
	join(true, 1)
	c2 := MustCreateCircle(t, s, guildA, "Quiet")
	c = c2
	add("open", "400000000000000003", t0.Add(-time.Minute))
	join(true, 1)

	// Someone joining again gets their membership before the join back.
	res, err := s.Join(ctx, joinReq(c, user(n), circles.ModeListener), t0)
	if err != nil || res.Previous == nil || res.Previous.Mode != circles.ModeMember || !res.Switched {
		t.Fatalf("a switch: %+v, %v", res, err)
	}
}
