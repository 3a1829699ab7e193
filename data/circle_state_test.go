package data

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

func TestCircleStates(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	a := MustCreateCircle(t, s, guildA, "A", withCapacity(2, 2))
	b := MustCreateCircle(t, s, guildA, "B")
	empty := MustCreateCircle(t, s, guildA, "Empty")
	other := MustCreateCircle(t, s, guildB, "Other")
	mustJoin(t, s, a, user(1), circles.ModeMember)
	mustJoin(t, s, a, user(2), circles.ModeMember)
	mustJoin(t, s, a, user(3), circles.ModeMember) // waitlisted
	mustJoin(t, s, a, user(4), circles.ModeListener)
	mustJoin(t, s, a, user(5), circles.ModeListener)
	mustJoin(t, s, a, user(6), circles.ModeListener) // waitlisted
	if _, err := s.Leave(ctx, guildA, a.ID, user(1), t0); err != nil {
		t.Fatal(err) // user(3) takes the seat
	}
	mustJoin(t, s, other, user(1), circles.ModeMember)

	at := func(c circles.Circle, d time.Duration, state circles.SessionState) circles.Session {
		x := planned(c, t0.Add(d))
		x.State = state
		return mustEnsure(t, s, x)
	}
	at(a, -14*24*time.Hour, circles.SessionClosed)
	late := at(a, -30*time.Minute, circles.SessionPlanned) // began, not opened
	open := at(a, -2*time.Hour, circles.SessionOpen)
	next := at(a, 7*24*time.Hour, circles.SessionPlanned)
	at(a, -7*24*time.Hour, circles.SessionSkipped) // skipped, but past
	skipNow := at(a, 0, circles.SessionSkipped)
	skipLater := at(a, 14*24*time.Hour, circles.SessionSkipped)
	bNext := at(b, 24*time.Hour, circles.SessionPlanned)
	at(other, 24*time.Hour, circles.SessionPlanned)

	got, err := s.CircleStates(ctx, guildA, []int64{a.ID, b.ID, empty.ID, other.ID, 999}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("states of %d circles, want A and B only: %+v", len(got), got)
	}
	sa := got[a.ID]
	if sa.Seats != (circles.SeatCounts{Members: 2, Listeners: 2}) || sa.Waitlist != 1 {
		t.Errorf("A seats %+v, waitlist %d; want 2 members, 2 listeners, 1 waiting", sa.Seats, sa.Waitlist)
	}
	ids := func(xs []circles.SessionBrief) []int64 {
		var out []int64
		for _, x := range xs {
			out = append(out, x.ID)
		}
		return out
	}
	if want := []int64{open.ID, late.ID, next.ID}; !slices.Equal(ids(sa.Sessions), want) {
		t.Errorf("A sessions %v, want open, planned late and next, by start: %v", ids(sa.Sessions), want)
	}
	if want := []time.Time{skipNow.Start, skipLater.Start}; !slices.EqualFunc(sa.Skipped, want, time.Time.Equal) {
		t.Errorf("A skipped %v, want those from now on %v", sa.Skipped, want)
	}
	if o := sa.Open(); o == nil || o.ID != open.ID {
		t.Errorf("A open = %+v", o)
	}
	if n := sa.Next(); n == nil || n.ID != open.ID {
		t.Errorf("A next = %+v", n)
	}
	sb := got[b.ID]
	if sb.Seats != (circles.SeatCounts{}) || sb.Open() != nil || sb.Next() == nil || sb.Next().ID != bNext.ID || len(sb.Skipped) != 0 {
		t.Errorf("B state %+v", sb)
	}
	if z := got[empty.ID]; z.Open() != nil || z.Next() != nil || z.Seats != (circles.SeatCounts{}) {
		t.Errorf("empty circle state %+v", z)
	}
	if none, err := s.CircleStates(ctx, guildB, []int64{a.ID}, t0); err != nil || len(none) != 0 {
		t.Errorf("another guild's circle: %+v, %v", none, err)
	}
}

// CircleStates answers /circles, /mycircles and /join, with UserCircles'
// circles: their statements must find what they need through indexes
// whatever the history. Searching
// a circle's sessions by circle alone would read every session it ever
// had; they must be searched by state too (sessions_circle_state).
func TestCircleStatesUseIndexes(t *testing.T) {
	s := MustOpen(t)
	for _, q := range []struct {
		name, sql string
		args      []any
	}{
		{"seats", circleSeatsSQL, []any{"[1,2]", guildA}},
		{"sessions", circleSessionsSQL, []any{"[1,2]", guildA, "[1,2]", t0.UnixMilli(), guildA}},
		{"circles by ID (UserCircles)", circlesByIDSQL, []any{"[1,2]"}},
	} {
		plan := queryPlan(t, s, q.sql, q.args...)
		t.Logf("%s: %s", q.name, strings.Join(plan, "; "))
		for _, step := range plan {
			switch {
			case strings.HasPrefix(step, "SCAN j VIRTUAL TABLE"), strings.HasPrefix(step, "SCAN (subquery"):
				// the IDs asked about; a subquery's own rows
			case strings.HasPrefix(step, "SCAN"):
				t.Errorf("%s: %q scans a table", q.name, step)
			case strings.HasPrefix(step, "SEARCH s ") && !strings.Contains(step, "state=?"):
				t.Errorf("%s: %q searches sessions without their state", q.name, step)
			case strings.HasPrefix(step, "SEARCH m ") && !strings.Contains(step, "status=?"):
				t.Errorf("%s: %q reads memberships that ended", q.name, step)
			case strings.HasPrefix(step, "SEARCH c ") && !strings.Contains(step, "rowid=?"):
				t.Errorf("%s: %q reads circles other than those asked about", q.name, step)
			}
		}
	}
}

// CountCircles counts what Circles lists, the limit aside.
func TestCountCircles(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	for _, name := range []string{"Grief", "Growing", "Quiet"} {
		MustCreateCircle(t, s, guildA, name)
	}
	MustCreateCircle(t, s, guildB, "Elsewhere")
	if _, _, err := s.UpdateCircle(ctx, guildA, MustCreateCircle(t, s, guildA, "Gone").ID, func(c *circles.Circle) error {
		c.Archived = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    circles.CircleFilter
		want int
	}{
		{circles.CircleFilter{}, 3},
		{circles.CircleFilter{Limit: 1}, 3},
		{circles.CircleFilter{IncludeArchived: true}, 4},
		{circles.CircleFilter{NamePrefix: "gr"}, 2},
	} {
		n, err := s.CountCircles(ctx, guildA, tc.f)
		list, lerr := s.Circles(ctx, guildA, circles.CircleFilter{IncludeArchived: tc.f.IncludeArchived, NamePrefix: tc.f.NamePrefix})
		if err != nil || lerr != nil || n != tc.want || len(list) != n {
			t.Errorf("CountCircles(%+v) = %d, %v; want %d (Circles lists %d, %v)", tc.f, n, err, tc.want, len(list), lerr)
		}
	}
}
