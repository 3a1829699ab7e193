package data

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

func TestSweepEnded(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief circle")
	left, removed, stays, lateLeaver, marker := user(1), user(2), user(3), user(4), user(5)
	for _, u := range []string{left, removed, stays, lateLeaver, marker} {
		mustJoin(t, s, c, u, circles.ModeMember)
	}
	if _, err := s.Leave(ctx, guildA, c.ID, left, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove(ctx, guildA, c.ID, removed, owner, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Leave(ctx, guildA, c.ID, lateLeaver, t0.Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// marker was removed and erased their data: only the bare marker is left.
	if _, err := s.Remove(ctx, guildA, c.ID, marker, owner, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EraseUser(ctx, guildA, marker, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	old := mustEnsure(t, s, planned(c, t0.Add(24*time.Hour)))
	soon := mustEnsure(t, s, planned(c, t0.Add(200*24*time.Hour)))
	for _, sess := range []circles.Session{old, soon} {
		if _, err := s.SetRSVP(ctx, guildA, sess.ID, stays, circles.RSVPGoing, t0); err != nil {
			t.Fatal(err)
		}
	}

	// Before the horizon nothing goes.
	sw, err := s.SweepEnded(ctx, t0)
	if err != nil || sw != (circles.Sweep{}) {
		t.Fatalf("sweep before anything ended long enough = %+v, %v", sw, err)
	}

	cutoff := t0.Add(10 * 24 * time.Hour)
	sw, err = s.SweepEnded(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	// left: 2 events (given, withdrawn); removed: 2; RSVP to the old session.
	if want := (circles.Sweep{Memberships: 1, RemovalsKept: 1, ConsentEvents: 4, RSVPs: 1}); sw != want {
		t.Fatalf("sweep = %+v, want %+v", sw, want)
	}
	if _, err := s.Membership(ctx, guildA, c.ID, left); circles.ErrorCode(err) != circles.ENotFound {
		t.Errorf("the membership that ended before the cutoff is still there (err %v)", err)
	}
	for _, u := range []string{left, removed} {
		if n := count(t, s, `SELECT COUNT(*) FROM consent_events WHERE user_id = ?`, u); n != 0 {
			t.Errorf("%s: %d consent events left after the sweep", u, n)
		}
	}
	// The removal holds, as a bare marker, like the one erasure left.
	if n := count(t, s, `SELECT COUNT(*) FROM memberships WHERE user_id IN (?, ?) AND status = 'removed' AND `+bareMarker,
		removed, marker); n != 2 {
		t.Errorf("%d bare removal markers, want 2", n)
	}
	if _, err := s.Join(ctx, joinReq(c, removed, circles.ModeMember), cutoff); err == nil {
		t.Error("a swept removal let the person join again")
	}
	// Who stays, and who left after the cutoff, keep everything.
	for _, u := range []string{stays, lateLeaver} {
		if n := count(t, s, `SELECT COUNT(*) FROM consent_events WHERE user_id = ?`, u); n == 0 {
			t.Errorf("%s lost their consent ledger", u)
		}
		if _, err := s.Membership(ctx, guildA, c.ID, u); err != nil {
			t.Errorf("%s lost their membership: %v", u, err)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM rsvps WHERE session_id = ?`, soon.ID); n != 1 {
		t.Errorf("the RSVP to a session still to come was swept")
	}

	// Idempotent: a second sweep with the same cutoff finds nothing.
	if sw, err := s.SweepEnded(ctx, cutoff); err != nil || sw != (circles.Sweep{}) {
		t.Fatalf("second sweep = %+v, %v; want nothing", sw, err)
	}
}

func TestSweepEndedInBatches(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Big", withCapacity(25, 0))
	n := sweepBatch + 7
	for i := range n {
		u := user(100 + i)
		mustJoin(t, s, c, u, circles.ModeMember)
		if _, err := s.Leave(ctx, guildA, c.ID, u, t0); err != nil {
			t.Fatal(err)
		}
	}
	sw, err := s.SweepEnded(ctx, t0.Add(time.Hour))
	if err != nil || sw.Memberships != n || sw.ConsentEvents != 2*n {
		t.Fatalf("sweep = %+v, %v; want %d memberships", sw, err, n)
	}
	if left := count(t, s, `SELECT COUNT(*) FROM memberships`); left != 0 {
		t.Fatalf("%d memberships left", left)
	}
}

func TestSweepEndedUsesItsIndex(t *testing.T) {
	s := MustOpen(t)
	plan := queryPlan(t, s, sweepEndedSQL, 0, 10)
	for _, step := range plan {
		// Scanning the partial index reads only ended memberships.
		if strings.HasPrefix(step, "SCAN memberships") && !strings.Contains(step, "memberships_ended") {
			t.Fatalf("the sweep scans every membership: %v", plan)
		}
		if testing.Verbose() {
			t.Log(step)
		}
	}
}

// An archived circle never meets again and can't be joined: once it has
// been archived longer than the horizon, all its memberships go, with
// their ledger — members, waitlisted and removal markers alike — and the
// circle's own row stays.
func TestSweepArchivedCircle(t *testing.T) {
	ctx := context.Background()
	clock := circles.NewManualClock(t0)
	s := MustOpen(t, WithClock(clock))
	c := MustCreateCircle(t, s, guildA, "Grief circle", withCapacity(2, 0))
	open := MustCreateCircle(t, s, guildA, "Carers")
	member, waiting, removed, other := user(1), user(2), user(3), user(4)
	for _, u := range []string{member, user(5), waiting, removed} {
		mustJoin(t, s, c, u, circles.ModeMember)
	}
	mustJoin(t, s, open, other, circles.ModeMember)
	if _, err := s.Remove(ctx, guildA, c.ID, removed, owner, t0); err != nil {
		t.Fatal(err)
	}
	if m, err := s.Membership(ctx, guildA, c.ID, waiting); err != nil || m.Status != circles.StatusWaitlisted {
		t.Fatalf("want %s waitlisted: %+v, %v", waiting, m, err)
	}
	clock.Set(t0.Add(24 * time.Hour))
	if _, _, err := s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error { c.Archived = true; return nil }); err != nil {
		t.Fatal(err)
	}

	// Archived a day ago, the horizon ten days: nothing goes yet.
	if sw, err := s.SweepEnded(ctx, t0); err != nil || sw.ArchivedMemberships != 0 {
		t.Fatalf("sweep before the horizon = %+v, %v", sw, err)
	}
	cutoff := t0.Add(10 * 24 * time.Hour)
	sw, err := s.SweepEnded(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if sw.ArchivedMemberships != 4 {
		t.Errorf("sweep = %+v, want the archived circle's 4 memberships", sw)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM memberships WHERE circle_id = ?`, c.ID); n != 0 {
		t.Errorf("%d memberships of the archived circle left", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM consent_events WHERE circle_id = ?`, c.ID); n != 0 {
		t.Errorf("%d consent events of the archived circle left", n)
	}
	if got, err := s.CircleByName(ctx, guildA, "Grief circle"); err != nil || !got.Archived {
		t.Errorf("the archived circle's row: %+v, %v", got, err)
	}
	// The circle that still meets keeps its people.
	if _, err := s.Membership(ctx, guildA, open.ID, other); err != nil {
		t.Errorf("a member of a circle still meeting was swept: %v", err)
	}
	if sw, err := s.SweepEnded(ctx, cutoff); err != nil || sw != (circles.Sweep{}) {
		t.Fatalf("second sweep = %+v, %v; want nothing", sw, err)
	}
}

// The daily sweep finds archived circles through their index, not by
// reading every circle.
func TestSweepArchivedUsesItsIndex(t *testing.T) {
	s := MustOpen(t)
	for _, step := range queryPlan(t, s, sweepArchivedSQL, 0) {
		if strings.Contains(step, "circles") && !strings.Contains(step, "circles_archived_at") {
			t.Fatalf("the archived circles are found by %q", step)
		}
	}
}
