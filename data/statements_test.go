package data

import (
	"context"
	"testing"

	"github.com/circlebot/circlebot/circles"
)

// Statements counts each query and exec once, and each run of a prepared
// statement; BEGIN and COMMIT are not statements of the store's.
func TestStatementsCounted(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief")

	before := s.Statements()
	if _, err := s.Circle(ctx, guildA, c.ID); err != nil {
		t.Fatal(err)
	}
	if n := s.Statements() - before; n != 1 {
		t.Errorf("Circle ran %d statements, want 1", n)
	}

	// Three circles through statements prepared once: a slug lookup, then
	// per circle an insert and one facilitator insert.
	var cs []*circles.Circle
	for _, name := range []string{"A", "B", "C"} {
		c := newCircle(guildA, name)
		cs = append(cs, &c)
	}
	before = s.Statements()
	if err := s.CreateCircles(ctx, cs); err != nil {
		t.Fatal(err)
	}
	if n := s.Statements() - before; n != 1+3*2 {
		t.Errorf("CreateCircles of 3 ran %d statements, want 7", n)
	}
}
