package data

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// toPlan lists the IDs CirclesToPlan returns at now.
func toPlan(t *testing.T, s *Store, now time.Time) []int64 {
	t.Helper()
	marks, err := s.CirclesToPlan(context.Background(), now, circles.Shards{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range marks {
		ids = append(ids, m.CircleID)
	}
	return ids
}

// markNext marks c planned with next under its current generation.
func markNext(t *testing.T, s *Store, c circles.Circle, next circles.Session) {
	t.Helper()
	ctx := context.Background()
	gen, err := s.PlanGen(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkPlanned(ctx, []circles.PlanMark{{CircleID: c.ID, Gen: gen, SessionID: next.ID, Start: next.Start}}); err != nil {
		t.Fatal(err)
	}
}

func duePlanned(c circles.Circle, start time.Time) circles.Session {
	p := planned(c, start)
	p.DueAt = start.Add(-time.Hour)
	return p
}

// A circle is to plan until it is marked, and again once anything takes
// its marked session off the plan, the circle changes, or the session's
// start comes; archived circles and removed guilds' never are.
func TestCirclesToPlan(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	a := MustCreateCircle(t, s, guildA, "Grief")
	b := MustCreateCircle(t, s, guildA, "Carers")
	gone := MustCreateCircle(t, s, guildB, "Elsewhere")
	if got := toPlan(t, s, t0); !slices.Equal(got, []int64{a.ID, b.ID, gone.ID}) {
		t.Fatalf("new circles to plan = %v", got)
	}
	if err := s.GuildRemoved(ctx, guildB, t0); err != nil {
		t.Fatal(err)
	}
	week := t0.Add(7 * 24 * time.Hour)
	na := mustEnsure(t, s, duePlanned(a, week))
	nb := mustEnsure(t, s, duePlanned(b, week.Add(time.Hour)))
	markNext(t, s, a, na)
	markNext(t, s, b, nb)
	if got := toPlan(t, s, t0); len(got) != 0 {
		t.Fatalf("to plan with every next session marked = %v", got)
	}
	if got := toPlan(t, s, week); !slices.Equal(got, []int64{a.ID}) {
		t.Fatalf("to plan when a's session starts = %v", got)
	}

	// Another session's change leaves the mark alone; the marked one's
	// doesn't.
	other := mustEnsure(t, s, duePlanned(a, week.Add(7*24*time.Hour)))
	if _, err := s.UpdateSession(ctx, other.ID, func(x *circles.Session) error { x.State = circles.SessionSkipped; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := toPlan(t, s, t0); len(got) != 0 {
		t.Fatalf("to plan after another session was skipped = %v", got)
	}
	if _, err := s.UpdateSession(ctx, na.ID, func(x *circles.Session) error { x.State = circles.SessionSkipped; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := toPlan(t, s, t0); !slices.Equal(got, []int64{a.ID}) {
		t.Fatalf("to plan after a's next session was skipped = %v", got)
	}

	// A planned session deleted (a schedule change dropped it).
	if deleted, err := s.DeletePlannedSession(ctx, nb.ID); err != nil || !deleted {
		t.Fatal(deleted, err)
	}
	if got := toPlan(t, s, t0); !slices.Equal(got, []int64{a.ID, b.ID}) {
		t.Fatalf("to plan after b's next session was deleted = %v", got)
	}

	// Any change to the circle.
	nb = mustEnsure(t, s, duePlanned(b, week.Add(2*time.Hour)))
	markNext(t, s, b, nb)
	if _, _, err := s.UpdateCircle(ctx, guildA, b.ID, func(c *circles.Circle) error { c.Schedule.Hour = 20; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := toPlan(t, s, t0); !slices.Equal(got, []int64{a.ID, b.ID}) {
		t.Fatalf("to plan after b's schedule changed = %v", got)
	}
	if _, _, err := s.UpdateCircle(ctx, guildA, b.ID, func(c *circles.Circle) error { c.Archived = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := toPlan(t, s, t0); !slices.Equal(got, []int64{a.ID}) {
		t.Fatalf("to plan after b was archived = %v", got)
	}
}

// A mark computed before a change is refused: the generation moved on, or
// the session is no longer planned at that start.
func TestMarkPlannedRefusesStaleMarks(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief")
	week := t0.Add(7 * 24 * time.Hour)
	next := mustEnsure(t, s, duePlanned(c, week))
	gen, err := s.PlanGen(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error { c.Topic = "changed meanwhile"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkPlanned(ctx, []circles.PlanMark{{CircleID: c.ID, Gen: gen, SessionID: next.ID, Start: next.Start}}); err != nil {
		t.Fatal(err)
	}
	if got := toPlan(t, s, t0); !slices.Equal(got, []int64{c.ID}) {
		t.Fatalf("a mark of an older generation was kept: to plan = %v", got)
	}
	for name, m := range map[string]circles.PlanMark{
		"another start":   {SessionID: next.ID, Start: week.Add(time.Hour)},
		"another session": {SessionID: next.ID + 100, Start: week},
	} {
		m.CircleID = c.ID
		if m.Gen, err = s.PlanGen(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkPlanned(ctx, []circles.PlanMark{m}); err != nil {
			t.Fatal(err)
		}
		if got := toPlan(t, s, t0); !slices.Equal(got, []int64{c.ID}) {
			t.Fatalf("%s: mark kept, to plan = %v", name, got)
		}
	}
	if _, err := s.PlanGen(ctx, c.ID+100); circles.ErrorCode(err) != circles.ENotFound {
		t.Fatalf("PlanGen of no circle: %v", err)
	}
}

func TestCirclesToPlanUsesIndex(t *testing.T) {
	s := MustOpen(t)
	term, targs := shardTerm("c.guild_id", circles.Shards{Count: 4, IDs: []int{2, 3}})
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"CirclesToPlan":           {fmt.Sprintf(circlesToPlanSQL, ""), []any{t0.UnixMilli()}},
		"CirclesToPlan in shards": {fmt.Sprintf(circlesToPlanSQL, " AND "+term), append([]any{t0.UnixMilli()}, targs...)},
	} {
		all := strings.Join(queryPlan(t, s, q.sql, q.args...), "; ")
		t.Logf("%s: %s", name, all)
		if !strings.Contains(all, "INDEX circle_plans_next") || strings.Contains(all, "SCAN") {
			t.Errorf("%s plan = %q, want a search USING INDEX circle_plans_next and no SCAN", name, all)
		}
	}
}

// A process that runs some of the shards plans the circles of its own
// guilds only, by Discord's formula: the others are another process's.
func TestCirclesToPlanInShards(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	guild := func(shard int64) string { return strconv.FormatInt((1000+shard)<<22, 10) } // on shard `shard` of 4
	var ids [4]int64
	for shard := range 4 {
		ids[shard] = MustCreateCircle(t, s, guild(int64(shard)), "Grief").ID
	}
	for _, tc := range []struct {
		shards circles.Shards
		want   []int64
	}{
		{circles.Shards{}, ids[:]},
		{circles.Shards{Count: 4, IDs: []int{2, 3}}, ids[2:]},
		{circles.Shards{Count: 2, IDs: []int{1}}, []int64{ids[1], ids[3]}},
		{circles.Shards{Count: 8, IDs: []int{7}}, nil},
	} {
		marks, err := s.CirclesToPlan(ctx, t0, tc.shards)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, m := range marks {
			got = append(got, m.CircleID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v: circles to plan %v, want %v", tc.shards, got, tc.want)
		}
	}
}

// EnsureSessions writes all or none, and reports which it created.
func TestEnsureSessionsIsAllOrNone(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	a := MustCreateCircle(t, s, guildA, "Grief")
	b := MustCreateCircle(t, s, guildA, "Carers")
	week := t0.Add(7 * 24 * time.Hour)
	old := mustEnsure(t, s, duePlanned(a, week))
	ghost := duePlanned(b, week)
	ghost.CircleID = b.ID + 100
	if _, _, err := s.EnsureSessions(ctx, []circles.Session{duePlanned(b, week), ghost}); circles.ErrorCode(err) != circles.ENotFound {
		t.Fatalf("EnsureSessions with a missing circle: %v", err)
	}
	if got := count(t, s, `SELECT COUNT(*) FROM sessions`); got != 1 {
		t.Fatalf("%d sessions after a failed batch, want 1", got)
	}
	out, created, err := s.EnsureSessions(ctx, []circles.Session{duePlanned(a, week), duePlanned(b, week)})
	if err != nil {
		t.Fatal(err)
	}
	if out[0].ID != old.ID || created[0] || !created[1] || out[1].CircleID != b.ID || !out[1].Start.Equal(week) {
		t.Fatalf("EnsureSessions = %+v, created %v", out, created)
	}
}
