package data

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// TestCirclePageCache: a page handed out again is what reading it would
// return now — after writes of this store, after writes of another process
// on the same file (another store: another shard), and later on, when a
// skipped session has passed — and a repeated read runs one statement.
func TestCirclePageCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "circlebot.db")
	s, other := mustOpenPath(t, path), mustOpenPath(t, path)
	c := MustCreateCircle(t, s, guildA, "Grief")
	f := circles.CircleFilter{Limit: 10}
	check := func(when string, now time.Time) circles.CirclePage {
		t.Helper()
		got, err := s.CirclePage(ctx, guildA, f, now)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.readCirclePage(ctx, guildA, f, now)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: the page is\n%+v\nreading it gives\n%+v", when, got, want)
		}
		return got
	}
	check("first read", t0)
	before := s.Statements()
	check("unchanged", t0)
	if n := s.Statements() - before - 1; n != 1 {
		t.Errorf("an unchanged page took %d statements, want 1 (data_version)", n)
	}

	mustJoin(t, s, c, user(1), circles.ModeMember)
	if p := check("after a join here", t0); p.States[c.ID].Seats.Members != 1 {
		t.Fatalf("seats after a join: %+v", p.States[c.ID])
	}
	mustJoin(t, other, c, user(2), circles.ModeMember)
	if p := check("after a join by another process", t0); p.States[c.ID].Seats.Members != 2 {
		t.Fatalf("seats after another process's join: %+v", p.States[c.ID])
	}
	MustCreateCircle(t, other, guildA, "Quiet")
	if p := check("after another process added a circle", t0); p.Total != 2 {
		t.Fatalf("total: %d", p.Total)
	}

	skipped := t0.Add(time.Hour)
	if _, err := other.w.ExecContext(ctx, `INSERT INTO sessions (guild_id, circle_id, start_at, end_at, state) VALUES (?, ?, ?, ?, 'skipped')`,
		guildA, c.ID, skipped.UnixMilli(), skipped.Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if p := check("with a skipped session ahead", t0); len(p.States[c.ID].Skipped) != 1 {
		t.Fatalf("skipped: %+v", p.States[c.ID])
	}
	check("at the skipped session's start", skipped)
	check("half a millisecond later", skipped.Add(500*time.Microsecond))
	if p := check("after it", skipped.Add(time.Millisecond)); len(p.States[c.ID].Skipped) != 0 {
		t.Fatalf("skipped after its start: %+v", p.States[c.ID])
	}
	check("back in time", t0)

	// What a caller does to its page doesn't reach the next one.
	p := check("again", t0)
	p.Circles[0].Name = "changed"
	p.States[c.ID] = circles.CircleState{}
	check("after the caller changed its copy", t0)
}
