package data

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// EventCircles reads only the partial indexes of circles with events and
// sessions holding one, never the whole tables.
func TestEventCirclesUsesIndexes(t *testing.T) {
	plan := strings.Join(queryPlan(t, MustOpen(t), eventCirclesSQL), "; ")
	for _, index := range []string{"circles_events", "sessions_event"} {
		if !strings.Contains(plan, "USING INDEX "+index) {
			t.Errorf("EventCircles plan = %q, want it to use the index %s", plan, index)
		}
	}
}

// EventCircles: circles with events on, and any circle a session of
// which still holds an event; not archived ones without, nor plain ones.
func TestEventCircles(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	plain := MustCreateCircle(t, s, guildA, "Plain")
	on := MustCreateCircle(t, s, guildA, "On")
	held := MustCreateCircle(t, s, guildA, "Held")
	for _, id := range []int64{on.ID} {
		if _, _, err := s.UpdateCircle(ctx, guildA, id, func(c *circles.Circle) error { c.Events = true; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	sess := mustEnsure(t, s, duePlanned(held, t0.Add(7*24*time.Hour)))
	if _, err := s.UpdateSession(ctx, sess.ID, func(c *circles.Session) error { c.EventID = "123"; return nil }); err != nil {
		t.Fatal(err)
	}
	mustEnsure(t, s, duePlanned(plain, t0.Add(7*24*time.Hour)))
	got, err := s.EventCircles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{on.ID, held.ID}; !slices.Equal(got, want) {
		t.Fatalf("EventCircles = %v, want %v", got, want)
	}
}
