package data

import (
	"context"
	"reflect"
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

// CirclePage answers /circles, CircleStates /mycircles and /join, with
// UserCircles' circles: their statements must find what they need through
// indexes whatever the history. Searching a circle's sessions by circle
// alone would read every session it ever had; they must be searched by
// state too (sessions_circle_state). Only the page's search of a guild's
// circles may read circles by guild.
func TestListingQueriesUseIndexes(t *testing.T) {
	s := MustOpen(t)
	page, pageArgs := circlePageQuery(guildA, circles.CircleFilter{Limit: 10}, t0)
	for _, q := range []struct {
		name, sql string
		args      []any
		byGuild   bool
	}{
		{"page", page, pageArgs, true},
		{"states", circleStatesSQL, []any{t0.UnixMilli(), "[1,2]", guildA}, false},
		{"circles by ID (UserCircles)", circlesByIDSQL, []any{"[1,2]"}, false},
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
			case strings.HasPrefix(step, "SEARCH f ") && !strings.Contains(step, "circle_facilitators_order"):
				t.Errorf("%s: %q sorts facilitators", q.name, step)
			case strings.HasPrefix(step, "SEARCH c ") && !strings.Contains(step, "rowid=?") && !(q.byGuild && strings.Contains(step, "(guild_id=?)")):
				t.Errorf("%s: %q reads circles other than those asked about", q.name, step)
			}
		}
	}
}

// CirclePage lists what Circles lists, up to the limit, and counts it all.
func TestCirclePage(t *testing.T) {
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
		f           circles.CircleFilter
		shown, want int
	}{
		{circles.CircleFilter{}, 3, 3},
		{circles.CircleFilter{Limit: 1}, 1, 3},
		{circles.CircleFilter{IncludeArchived: true}, 4, 4},
		{circles.CircleFilter{NamePrefix: "gr"}, 2, 2},
		{circles.CircleFilter{NamePrefix: "nothing"}, 0, 0},
	} {
		page, err := s.CirclePage(ctx, guildA, tc.f, t0)
		list, lerr := s.Circles(ctx, guildA, tc.f)
		if err != nil || lerr != nil || page.Total != tc.want || len(page.Circles) != tc.shown || len(list) != tc.shown {
			t.Errorf("CirclePage(%+v) = %d of %d, %v; want %d of %d (Circles lists %d, %v)", tc.f, len(page.Circles), page.Total, err, tc.shown, tc.want, len(list), lerr)
			continue
		}
		for i, c := range page.Circles {
			// As listings see it: all but the guidelines' text, the
			// prompts and who created it when.
			want := list[i]
			want.Guidelines.Text, want.Prompts, want.CreatedAt, want.CreatedBy = "", nil, time.Time{}, ""
			if !reflect.DeepEqual(c, want) {
				t.Errorf("CirclePage(%+v) circle %d:\n%+v\nwant\n%+v", tc.f, i, c, want)
			}
		}
	}
}

// The state columns' texts parse back into what was stored, and anything
// else is an error, not a wrong listing.
func TestParseStateTexts(t *testing.T) {
	briefs, err := parseBriefs("7,1000,2000,open,123456789012345678;8,3000,4000,planned,")
	want := []circles.SessionBrief{
		{ID: 7, Start: time.UnixMilli(1000).UTC(), End: time.UnixMilli(2000).UTC(), State: circles.SessionOpen, ChannelID: "123456789012345678"},
		{ID: 8, Start: time.UnixMilli(3000).UTC(), End: time.UnixMilli(4000).UTC(), State: circles.SessionPlanned},
	}
	if err != nil || !reflect.DeepEqual(briefs, want) {
		t.Errorf("parseBriefs = %+v, %v; want %+v", briefs, err, want)
	}
	starts, err := parseStarts("1000,3000")
	if err != nil || !slices.EqualFunc(starts, []time.Time{time.UnixMilli(1000), time.UnixMilli(3000)}, time.Time.Equal) {
		t.Errorf("parseStarts = %v, %v", starts, err)
	}
	if b, err := parseBriefs(""); b != nil || err != nil {
		t.Errorf("parseBriefs of none = %v, %v", b, err)
	}
	for _, bad := range []string{"7,1000,2000,open", "x,1000,2000,open,", "7,1000,2000,open,;"} {
		if _, err := parseBriefs(bad); err == nil {
			t.Errorf("parseBriefs(%q) took it", bad)
		}
	}
	if _, err := parseStarts("1000,,3000"); err == nil {
		t.Error("parseStarts took an empty start")
	}
}
