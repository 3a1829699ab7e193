package data

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

func TestCircleRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	want := newCircle(guildA, "  Grief circle  ", withFacilitators(owner, user(7), owner))
	want.Topic = "Losing someone"
	want.Prompts = []string{"How was your week?", "What helped?"}
	want.Schedule = circles.Rule{Cron: "0 19 * * TUE", TimeZone: "America/New_York", Duration: 45 * time.Minute}
	want.PostponeWithoutFacilitator = true
	if err := s.CreateCircle(ctx, &want); err != nil {
		t.Fatal(err)
	}
	if want.ID == 0 || want.Name != "Grief circle" || len(want.Facilitators) != 2 {
		t.Fatalf("CreateCircle left %+v", want)
	}
	got, err := s.Circle(ctx, guildA, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !circleEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt in %v, want UTC", got.CreatedAt.Location())
	}
	byID, err := s.CircleByID(ctx, want.ID)
	if err != nil || !circleEqual(byID, want) {
		t.Fatalf("CircleByID = %+v, %v", byID, err)
	}
}

func circleEqual(a, b circles.Circle) bool {
	return reflect.DeepEqual(a.Facilitators, b.Facilitators) && reflect.DeepEqual(a.Prompts, b.Prompts) &&
		a.CreatedAt.Equal(b.CreatedAt) && reflect.DeepEqual(stripCircle(a), stripCircle(b))
}

func stripCircle(c circles.Circle) circles.Circle {
	c.Facilitators, c.Prompts, c.CreatedAt = nil, nil, time.Time{}
	return c
}

func TestCircleNamesAndGuildScope(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	grief := MustCreateCircle(t, s, guildA, "Grief Circle")
	MustCreateCircle(t, s, guildA, "Überleben")
	MustCreateCircle(t, s, guildA, "50% club")
	MustCreateCircle(t, s, guildA, "500 club")
	MustCreateCircle(t, s, guildB, "Grief Circle") // other servers have their own names

	for _, name := range []string{"grief circle", "GRIEF CIRCLE ", "überleben", "ÜBERLEBEN"} {
		c := newCircle(guildA, name)
		err := s.CreateCircle(ctx, &c)
		wantCode(t, err, circles.EConflict)
		if msg := circles.ErrorMessage(err); msg == "" || c.ID != 0 {
			t.Fatalf("duplicate %q: message %q, ID %d", name, msg, c.ID)
		}
	}

	got, err := s.CircleByName(ctx, guildA, "grief CIRCLE")
	if err != nil || got.ID != grief.ID {
		t.Fatalf("CircleByName = %+v, %v", got, err)
	}
	_, err = s.CircleByName(ctx, guildB, "Überleben")
	wantCode(t, err, circles.ENotFound)

	_, err = s.Circle(ctx, guildB, grief.ID)
	wantCode(t, err, circles.ENotFound)
	if msg := circles.ErrorMessage(err); msg != "I couldn't find that circle in this server." {
		t.Errorf("not found message = %q", msg)
	}
	_, err = s.Join(ctx, circles.JoinRequest{GuildID: guildB, CircleID: grief.ID, UserID: user(1), Mode: circles.ModeMember, GuidelinesVersion: 1}, t0)
	wantCode(t, err, circles.ENotFound)
	_, _, err = s.UpdateCircle(ctx, guildB, grief.ID, func(*circles.Circle) error { return nil })
	wantCode(t, err, circles.ENotFound)
	_, err = s.Roster(ctx, guildB, grief.ID)
	wantCode(t, err, circles.ENotFound)

	// A literal % in the prefix must not act as a wildcard.
	list, err := s.Circles(ctx, guildA, circles.CircleFilter{NamePrefix: "50%"})
	if err != nil || len(list) != 1 || list[0].Name != "50% club" {
		t.Fatalf("prefix 50%% = %+v, %v", list, err)
	}

	// Renaming onto another circle's name is the same conflict.
	_, _, err = s.UpdateCircle(ctx, guildA, grief.ID, func(c *circles.Circle) error { c.Name = "überLEBEN"; return nil })
	wantCode(t, err, circles.EConflict)
	// Changing only the case of one's own name is fine.
	if _, _, err := s.UpdateCircle(ctx, guildA, grief.ID, func(c *circles.Circle) error { c.Name = "grief circle"; return nil }); err != nil {
		t.Fatal(err)
	}

	// An archived circle's name is free again; the name then means the
	// active circle.
	if _, _, err := s.UpdateCircle(ctx, guildA, grief.ID, func(c *circles.Circle) error { c.Archived = true; return nil }); err != nil {
		t.Fatal(err)
	}
	again := MustCreateCircle(t, s, guildA, "Grief circle")
	if got, err := s.CircleByName(ctx, guildA, "GRIEF CIRCLE"); err != nil || got.ID != again.ID {
		t.Fatalf("CircleByName after reuse = %+v, %v; want the new circle %d", got, err, again.ID)
	}
	dup := newCircle(guildA, "grief circle")
	wantCode(t, s.CreateCircle(ctx, &dup), circles.EConflict)
}

func TestCirclesFilterAndOrder(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	MustCreateCircle(t, s, guildA, "beta")
	MustCreateCircle(t, s, guildA, "Alpha", withFacilitators(user(1)))
	arch := MustCreateCircle(t, s, guildA, "Archived one")
	MustCreateCircle(t, s, guildB, "Another server")
	if _, _, err := s.UpdateCircle(ctx, guildA, arch.ID, func(c *circles.Circle) error { c.Archived = true; return nil }); err != nil {
		t.Fatal(err)
	}
	names := func(f circles.CircleFilter) []string {
		t.Helper()
		cs, err := s.Circles(ctx, guildA, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	tests := []struct {
		name string
		f    circles.CircleFilter
		want []string
	}{
		{"default hides archived", circles.CircleFilter{}, []string{"Alpha", "beta"}},
		{"include archived", circles.CircleFilter{IncludeArchived: true}, []string{"Alpha", "Archived one", "beta"}},
		{"prefix any case", circles.CircleFilter{NamePrefix: "a", IncludeArchived: true}, []string{"Alpha", "Archived one"}},
		{"facilitated by", circles.CircleFilter{FacilitatedBy: user(1)}, []string{"Alpha"}},
		{"limit", circles.CircleFilter{Limit: 1}, []string{"Alpha"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(tt.f)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestUpdateCircle(t *testing.T) {
	ctx := context.Background()
	clock := circles.NewManualClock(t0)
	s := MustOpen(t, WithClock(clock))
	c := MustCreateCircle(t, s, guildA, "Anxiety", withCapacity(2, 0))

	// fn's error comes back as is, and nothing changes.
	boom := errors.New("boom")
	_, _, err := s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error { c.Topic = "x"; return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want fn's error", err)
	}
	// Validation applies to the result of fn.
	_, _, err = s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error { c.Capacity = 1000; return nil })
	wantCode(t, err, circles.EInvalid)
	// fn can't move a circle to another guild.
	got, _, err := s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error { c.GuildID = guildB; c.ID = 99; return nil })
	if err != nil || got.GuildID != guildA || got.ID != c.ID {
		t.Fatalf("moved: %+v %v", got, err)
	}
	if cur, _ := s.Circle(ctx, guildA, c.ID); cur.Topic != "" || cur.Capacity != 2 {
		t.Fatalf("aborted updates leaked: %+v", cur)
	}

	// Raising capacity gives the waiting people their seats at once, so a
	// newcomer can't take a free seat past them. UpdateCircle is given no
	// time: the promotion is stamped by the store's clock.
	for i := 1; i <= 4; i++ {
		mustJoin(t, s, c, user(i), circles.ModeMember)
	}
	promotedAt := clock.Advance(3 * time.Hour)
	if _, _, err := s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error { c.Capacity = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Membership(ctx, guildA, c.ID, user(3)); m.Status != circles.StatusActive {
		t.Fatalf("first waitlisted not promoted on capacity raise: %+v", m)
	} else if !m.JoinedAt.Equal(promotedAt) || !m.UpdatedAt.Equal(promotedAt) {
		t.Fatalf("promotion stamped joined %v, updated %v; want the store's clock, %v", m.JoinedAt, m.UpdatedAt, promotedAt)
	}
	if m, _ := s.Membership(ctx, guildA, c.ID, user(4)); m.Status != circles.StatusWaitlisted {
		t.Fatalf("second waitlisted: %+v", m)
	}
}

func TestCreateCirclesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	batch := func(names ...string) []*circles.Circle {
		var cs []*circles.Circle
		for _, n := range names {
			c := newCircle(guildA, n)
			cs = append(cs, &c)
		}
		return cs
	}
	bad := batch("One", "Two", "two")
	wantCode(t, s.CreateCircles(ctx, bad), circles.EConflict)
	if n := count(t, s, `SELECT COUNT(*) FROM circles`); n != 0 || bad[0].ID != 0 {
		t.Fatalf("a failed batch stored %d circles (first ID %d)", n, bad[0].ID)
	}
	invalid := batch(make([]string, 600)...) // large enough to validate in parallel
	for i, c := range invalid {
		c.Name = fmt.Sprintf("c%d", i)
	}
	invalid[599].Capacity = 0
	wantCode(t, s.CreateCircles(ctx, invalid), circles.EInvalid)

	good := batch("One", "Two", "Three")
	if err := s.CreateCircles(ctx, good); err != nil {
		t.Fatal(err)
	}
	for _, c := range good {
		got, err := s.Circle(ctx, guildA, c.ID)
		if err != nil || got.Name != c.Name {
			t.Fatalf("circle %d = %+v, %v", c.ID, got, err)
		}
	}
}

// A circle whose listener seats were left at the default keeps following
// its capacity: when the capacity changes later, so do the listener seats.
// An explicit number stands.
func TestListenerSeatsDefaultToCapacity(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	for _, capacity := range []int{6, 25} {
		c := MustCreateCircle(t, s, guildA, fmt.Sprintf("Circle of %d", capacity), func(c *circles.Circle) { c.Capacity = capacity })
		got, err := s.Circle(ctx, guildA, c.ID)
		if err != nil || got.ListenerSeats() != capacity {
			t.Fatalf("capacity %d: stored circle has %d listener seats, %v", capacity, got.ListenerSeats(), err)
		}
	}
	c := MustCreateCircle(t, s, guildA, "Follows", func(c *circles.Circle) { c.Capacity = 6 })
	got, _, err := s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error {
		c.Capacity = 12
		return nil
	})
	if err != nil || got.ListenerSeats() != 12 {
		t.Fatalf("capacity raised to 12: %d listener seats, %v", got.ListenerSeats(), err)
	}
	if got, _ := s.Circle(ctx, guildA, c.ID); got.ListenerSeats() != 12 {
		t.Fatalf("stored: %d listener seats, want 12", got.ListenerSeats())
	}

	c = MustCreateCircle(t, s, guildA, "Explicit", withCapacity(6, 2))
	got, _, err = s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error {
		c.Capacity = 12
		return nil
	})
	if err != nil || got.ListenerSeats() != 2 {
		t.Fatalf("an explicit 2 listener seats became %d after a capacity change, %v", got.ListenerSeats(), err)
	}
	got, _, err = s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error {
		c.ListenerCap = circles.ListenerCapAsCapacity
		return nil
	})
	if err != nil || got.ListenerSeats() != 12 {
		t.Fatalf("back to the default: %d listener seats, %v", got.ListenerSeats(), err)
	}
}

// The queries that pick a guild's circles and members out of every guild's
// search an index by guild: none reads the whole circles or memberships
// table (a bot in many servers would pay for all of them on every lookup,
// autocomplete and start-up member check).
func TestGuildQueriesUseIndex(t *testing.T) {
	s := MustOpen(t)
	type query struct {
		name, sql string
		args      []any
	}
	qs := []query{
		{"CircleByName", circleByNameSQL, []any{guildA, "grief"}},
		{"GuildMemberUserIDs", guildMemberUserIDsSQL, []any{guildA, guildA}},
	}
	for _, f := range []circles.CircleFilter{
		{},
		{IncludeArchived: true},
		{NamePrefix: "gr", Limit: 25},
		{IncludeArchived: true, FacilitatedBy: owner},
	} {
		q, args := circlesQuery(guildA, f)
		qs = append(qs, query{fmt.Sprintf("Circles %+v", f), q, args})
		q, args = circlePageQuery(guildA, f, t0)
		qs = append(qs, query{fmt.Sprintf("CirclePage %+v", f), q, args})
	}
	for i, q := range purgeGuildSQL {
		qs = append(qs, query{fmt.Sprintf("PurgeGuild #%d", i), q, []any{guildA}})
	}
	for _, q := range qs {
		plan := queryPlan(t, s, q.sql, q.args...)
		for _, step := range plan {
			// A subquery's own rows (the facilitator list) are no table.
			if strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN (subquery") {
				t.Errorf("%s reads a whole table: %q", q.name, strings.Join(plan, "; "))
			}
		}
	}
}
