package data

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// t0 is the tests' "now": a Monday, in UTC, on a whole millisecond so times
// compare equal after a round trip.
var t0 = time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)

const (
	guildA = "100000000000000001"
	guildB = "100000000000000002"
	owner  = "200000000000000001" // creates circles, facilitates them
)

// MustOpen opens a fresh store in a temporary directory, closed at the end
// of the test. Its clock stands at t0 unless opts give another.
func MustOpen(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "circlebot.db"), opts...)
}

func mustOpenPath(tb testing.TB, path string, opts ...Option) *Store {
	tb.Helper()
	opts = append([]Option{WithClock(circles.NewManualClock(t0))}, opts...)
	s, err := Open(context.Background(), path, opts...)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// circleOpt adjusts a circle before MustCreateCircle stores it.
type circleOpt func(*circles.Circle)

func withCapacity(members, listeners int) circleOpt {
	return func(c *circles.Circle) { c.Capacity, c.ListenerCap = members, listeners }
}

func withoutListeners() circleOpt {
	return func(c *circles.Circle) { c.ListenersAllowed = false }
}

func withFacilitators(ids ...string) circleOpt {
	return func(c *circles.Circle) { c.Facilitators = ids }
}

func newCircle(guild, name string, opts ...circleOpt) circles.Circle {
	c := circles.NewCircle(guild, name, circles.KindPeer,
		circles.Weekly(time.Tuesday, 19, 0, "Europe/Berlin", 90*time.Minute), owner, t0)
	for _, o := range opts {
		o(&c)
	}
	return c
}

// MustCreateCircle stores a valid circle (weekly, Tuesdays 19:00 Berlin,
// capacity 10, listeners allowed, facilitated by owner) changed by opts.
func MustCreateCircle(tb testing.TB, s *Store, guild, name string, opts ...circleOpt) circles.Circle {
	tb.Helper()
	c := newCircle(guild, name, opts...)
	if err := s.CreateCircle(context.Background(), &c); err != nil {
		tb.Fatalf("CreateCircle(%q): %v", name, err)
	}
	return c
}

func joinReq(c circles.Circle, user string, mode circles.Mode) circles.JoinRequest {
	return circles.JoinRequest{GuildID: c.GuildID, CircleID: c.ID, UserID: user, Mode: mode, GuidelinesVersion: c.Guidelines.Version}
}

func mustJoin(tb testing.TB, s *Store, c circles.Circle, user string, mode circles.Mode) circles.JoinResult {
	tb.Helper()
	res, err := s.Join(context.Background(), joinReq(c, user, mode), t0)
	if err != nil {
		tb.Fatalf("Join(%s, %s as %s): %v", c.Name, user, mode, err)
	}
	return res
}

func wantCode(tb testing.TB, err error, code circles.Code) {
	tb.Helper()
	if got := circles.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

// count runs a COUNT(*) query on the writer, which sees everything committed.
func count(tb testing.TB, s *Store, q string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.w.QueryRow(q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

// tables lists every table of the schema, so checks that must cover "every
// row anywhere" do not go stale when a migration adds one.
func tables(tb testing.TB, s *Store) []string {
	tb.Helper()
	rows, err := s.w.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			tb.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// rowsMentioning returns "table: row" for every row of every table that has
// a column equal to value.
func rowsMentioning(tb testing.TB, s *Store, value string) []string {
	tb.Helper()
	var found []string
	for _, table := range tables(tb, s) {
		rows, err := s.w.Query(`SELECT * FROM ` + table)
		if err != nil {
			tb.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				tb.Fatal(err)
			}
			for _, v := range vals {
				var str string
				switch v := v.(type) {
				case string:
					str = v
				case []byte:
					str = string(v)
				default:
					str = fmt.Sprint(v)
				}
				if strings.Contains(str, value) {
					found = append(found, fmt.Sprintf("%s: %v", table, vals))
					break
				}
			}
		}
		rows.Close()
	}
	return found
}

func user(i int) string { return fmt.Sprintf("3%017d", i) }

// queryPlan returns the steps of SQLite's plan for a query.
func queryPlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
