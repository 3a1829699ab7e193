package data

import (
	"context"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// Concurrent joins must never overfill a circle, and the waitlist must keep
// the order in which the joins committed. Half the joins go through a second
// Store on the same file, as a second process would, so the two writer
// connections really contend for SQLite's lock and busy_timeout must make
// them wait rather than fail.
func TestJoinConcurrentFillsSeatsThenWaitlist(t *testing.T) {
	s := MustOpen(t)
	s2 := mustOpenPath(t, s.path)
	stores := []*Store{s, s2}
	c := MustCreateCircle(t, s, guildA, "Grief circle", withCapacity(10, 10))
	const n = 200
	results := make([]circles.JoinResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = stores[i%2].Join(context.Background(), joinReq(c, user(i), circles.ModeMember), t0)
		}()
	}
	close(start)
	wg.Wait()

	active := 0
	posOf := map[string]int{}
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("join %d: %v", i, errs[i])
		}
		switch res.Membership.Status {
		case circles.StatusActive:
			active++
			if res.Position != 0 {
				t.Errorf("active %s has position %d", res.Membership.UserID, res.Position)
			}
		case circles.StatusWaitlisted:
			posOf[res.Membership.UserID] = res.Position
		default:
			t.Errorf("%s: status %q", res.Membership.UserID, res.Membership.Status)
		}
	}
	if active != 10 || len(posOf) != 190 {
		t.Fatalf("active = %d, waitlisted = %d; want 10 and 190", active, len(posOf))
	}
	// Positions are a permutation of 1..190: each transaction saw exactly
	// the ones committed before it.
	byPos := make([]string, 191)
	for u, p := range posOf {
		if p < 1 || p > 190 || byPos[p] != "" {
			t.Fatalf("position %d of %s is out of range or taken by %s", p, u, byPos[p])
		}
		byPos[p] = u
	}
	// The stored sequence agrees with the positions handed out at commit.
	var prev int64
	for p := 1; p <= 190; p++ {
		var seq int64
		if err := s.w.QueryRow(`SELECT waitlist_seq FROM memberships WHERE circle_id = ? AND user_id = ?`, c.ID, byPos[p]).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		if seq <= prev {
			t.Fatalf("position %d has waitlist_seq %d, not after %d", p, seq, prev)
		}
		prev = seq
	}
	// And the roster reports the same places.
	roster, err := s.Roster(context.Background(), guildA, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range roster {
		if e.Status == circles.StatusWaitlisted && e.Position != posOf[e.UserID] {
			t.Errorf("roster position of %s = %d, join said %d", e.UserID, e.Position, posOf[e.UserID])
		}
	}
	if got := count(t, s, `SELECT COUNT(*) FROM consent_events WHERE circle_id = ? AND action = 'given'`, c.ID); got != n {
		t.Errorf("consent events = %d, want %d (waitlisted people consent too)", got, n)
	}
	// A freed seat goes to whoever is at position 1, and position 2 moves up.
	var seated string
	for _, res := range results {
		if res.Membership.Status == circles.StatusActive {
			seated = res.Membership.UserID
			break
		}
	}
	left, err := s.Leave(context.Background(), guildA, c.ID, seated, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Promoted) != 1 || left.Promoted[0].UserID != byPos[1] {
		t.Fatalf("promoted %+v, want %s (position 1)", left.Promoted, byPos[1])
	}
	roster, err = s.Roster(context.Background(), guildA, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range roster {
		if e.UserID == byPos[2] && e.Position != 1 {
			t.Errorf("position 2 (%s) is now at %d, want 1", byPos[2], e.Position)
		}
	}
}

func TestJoinNeedsCurrentConsent(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Caregivers")
	u := user(1)

	stale := joinReq(c, u, circles.ModeMember)
	stale.GuidelinesVersion = c.Guidelines.Version - 1
	_, err := s.Join(ctx, stale, t0)
	wantCode(t, err, circles.EConflict)
	if n := count(t, s, `SELECT COUNT(*) FROM memberships`) + count(t, s, `SELECT COUNT(*) FROM consent_events`); n != 0 {
		t.Fatalf("a refused join wrote %d rows", n)
	}

	res := mustJoin(t, s, c, u, circles.ModeMember)
	if res.Membership.Status != circles.StatusActive || res.Membership.ConsentVersion != 1 || !res.Membership.Reminders {
		t.Fatalf("joined: %+v", res.Membership)
	}

	c, _, err = s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error {
		_, err := c.SetGuidelines("Be kind. What is said here stays here.")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Guidelines.Version != 2 {
		t.Fatalf("version after SetGuidelines = %d", c.Guidelines.Version)
	}
	m, err := s.Membership(ctx, guildA, c.ID, u)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != circles.StatusActive || m.ConsentVersion != 1 || m.HasCurrentConsent(c.Guidelines.Version) {
		t.Fatalf("after a guidelines change: %+v (want active with stale consent 1)", m)
	}
	roster, err := s.Roster(ctx, guildA, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(roster) != 1 || roster[0].ConsentCurrent {
		t.Fatalf("roster = %+v, want one entry with stale consent", roster)
	}
	if _, stale := circles.SessionAccess(c, circles.Session{}, []circles.Membership{m}); len(stale) != 1 {
		t.Fatalf("SessionAccess stale = %v", stale)
	}

	_, err = s.Reconsent(ctx, guildA, c.ID, u, 1, t0.Add(1))
	wantCode(t, err, circles.EConflict)
	m, err = s.Reconsent(ctx, guildA, c.ID, u, 2, t0.Add(2))
	if err != nil {
		t.Fatal(err)
	}
	if m.ConsentVersion != 2 || !m.HasCurrentConsent(2) {
		t.Fatalf("after reconsent: %+v", m)
	}
	// A double click records nothing more.
	if _, err := s.Reconsent(ctx, guildA, c.ID, u, 2, t0.Add(3)); err != nil {
		t.Fatal(err)
	}
	ledger, err := s.ConsentLedger(ctx, c.ID, u)
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 2 || ledger[0].GuidelinesVersion != 1 || ledger[1].GuidelinesVersion != 2 {
		t.Fatalf("ledger = %+v", ledger)
	}
	_, err = s.Reconsent(ctx, guildA, c.ID, user(2), 2, t0)
	wantCode(t, err, circles.ENotFound)

	// Editing the text without SetGuidelines still makes consent stale.
	c, _, err = s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error {
		c.Guidelines.Text = "Edited behind SetGuidelines' back."
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Guidelines.Version != 3 {
		t.Fatalf("silent text edit kept version %d", c.Guidelines.Version)
	}
	// /join again with the new version renews consent; the membership is
	// the same one.
	renew := mustJoin(t, s, c, u, circles.ModeMember)
	if renew.Switched || renew.Membership.ConsentVersion != 3 || !renew.Membership.JoinedAt.Equal(res.Membership.JoinedAt) {
		t.Fatalf("renewed = %+v", renew)
	}
	_, err = s.Join(ctx, joinReq(c, u, circles.ModeMember), t0)
	wantCode(t, err, circles.EConflict) // already in, consent current
}

// A waitlisted person renews consent to new guidelines through Join and
// keeps their place in line.
func TestJoinRenewsWaitlistedConsentKeepingThePlace(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Full", withCapacity(2, 0))
	mustJoin(t, s, c, user(1), circles.ModeMember)
	mustJoin(t, s, c, user(2), circles.ModeMember)
	first, second := user(3), user(4)
	mustJoin(t, s, c, first, circles.ModeMember)
	mustJoin(t, s, c, second, circles.ModeMember)
	c, _, err := s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error {
		_, err := c.SetGuidelines("New rules.")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mustJoin(t, s, c, second, circles.ModeMember)
	res := mustJoin(t, s, c, first, circles.ModeMember)
	if res.Membership.Status != circles.StatusWaitlisted || res.Position != 1 || res.Membership.ConsentVersion != 2 || res.Switched {
		t.Fatalf("renewed on the waitlist: %+v", res)
	}
	_, err = s.Join(ctx, joinReq(c, first, circles.ModeMember), t0)
	wantCode(t, err, circles.EConflict) // already waiting, consent current
	left, err := s.Leave(ctx, guildA, c.ID, user(1), t0)
	if err != nil || len(left.Promoted) != 1 || left.Promoted[0].UserID != first {
		t.Fatalf("renewing moved %s's place: promoted %+v, %v", first, left.Promoted, err)
	}
}

func TestLeavePromotesFirstWaitlistedOfSameMode(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Sober mornings", withCapacity(2, 1))
	// The waitlisted have IDs in reverse join order, so an order by user ID
	// can't pass for join order.
	a, b, w1, w2, l1, l2 := user(1), user(2), user(4), user(3), user(6), user(5)
	for _, u := range []string{a, b, w1, w2} {
		mustJoin(t, s, c, u, circles.ModeMember)
	}
	mustJoin(t, s, c, l1, circles.ModeListener)
	if res := mustJoin(t, s, c, l2, circles.ModeListener); res.Position != 1 {
		t.Fatalf("second listener position = %d, want 1 on the listener waitlist", res.Position)
	}

	res, err := s.Leave(ctx, guildA, c.ID, a, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if res.Left.Status != circles.StatusLeft || res.Left.ConsentVersion != 0 {
		t.Fatalf("left = %+v", res.Left)
	}
	if len(res.Promoted) != 1 || res.Promoted[0].UserID != w1 || res.Promoted[0].Status != circles.StatusActive {
		t.Fatalf("promoted = %+v, want %s only", res.Promoted, w1)
	}
	m, err := s.Membership(ctx, guildA, c.ID, w2)
	if err != nil {
		t.Fatal(err)
	}
	roster, _ := s.Roster(ctx, guildA, c.ID)
	for _, e := range roster {
		if e.UserID == w2 && e.Position != 1 {
			t.Errorf("%s moved to position %d, want 1", w2, e.Position)
		}
	}
	if m.Status != circles.StatusWaitlisted {
		t.Fatalf("w2 = %+v", m)
	}

	ledger, err := s.ConsentLedger(ctx, c.ID, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 2 || ledger[0].Action != circles.ConsentGiven || ledger[1].Action != circles.ConsentWithdrawn {
		t.Fatalf("ledger of leaver = %+v", ledger)
	}

	for _, u := range []string{a, user(99)} {
		_, err = s.Leave(ctx, guildA, c.ID, u, t0)
		wantCode(t, err, circles.ENotFound)
	}
	_, err = s.Leave(ctx, guildB, c.ID, b, t0)
	wantCode(t, err, circles.ENotFound)

	// A waitlisted person leaving frees no seat and promotes nobody.
	res, err = s.Leave(ctx, guildA, c.ID, w2, t0)
	if err != nil || len(res.Promoted) != 0 {
		t.Fatalf("waitlisted leave: %+v, %v", res, err)
	}
	// Coming back after leaving is a fresh join.
	if r := mustJoin(t, s, c, a, circles.ModeMember); r.Membership.Status != circles.StatusWaitlisted || r.Position != 1 {
		t.Fatalf("rejoin = %+v", r)
	}
}

// The waitlist is served in join order: not by user ID (the waitlisted
// have IDs in reverse join order), and not by the time stamped on the join
// (two joins in one millisecond, or a clock set back between them, must not
// reorder it).
func TestWaitlistIsServedInJoinOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		step time.Duration // between one waitlisted join and the next
	}{
		{"same time", 0},
		{"one minute apart", time.Minute},
		{"clock set back between joins", -time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := MustOpen(t)
			c := MustCreateCircle(t, s, guildA, "Sober mornings", withCapacity(2, 2))
			a, b, w1, w2, w3 := user(8), user(9), user(3), user(2), user(1)
			mustJoin(t, s, c, a, circles.ModeMember)
			mustJoin(t, s, c, b, circles.ModeMember)
			order := []string{w1, w2, w3}
			for i, u := range order {
				res, err := s.Join(ctx, joinReq(c, u, circles.ModeMember), t0.Add(time.Duration(i)*tc.step))
				if err != nil || res.Position != i+1 {
					t.Fatalf("join %d: position %d, %v; want %d", i+1, res.Position, err, i+1)
				}
			}
			// Each freed seat goes to the head of the queue.
			leaver := a
			for i, want := range order {
				res, err := s.Leave(ctx, guildA, c.ID, leaver, t0.Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Promoted) != 1 || res.Promoted[0].UserID != want {
					t.Fatalf("seat %d went to %+v, want %s", i+1, res.Promoted, want)
				}
				leaver = want
			}
		})
	}
}

func TestListenerSeats(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "New parents", withCapacity(2, 1))
	m1, m2, m3, l1, l2 := user(1), user(2), user(3), user(4), user(5)

	tests := []struct {
		user    string
		mode    circles.Mode
		status  circles.MemberStatus
		pos     int
		comment string
	}{
		{m1, circles.ModeMember, circles.StatusActive, 0, "first speaking seat"},
		{m2, circles.ModeMember, circles.StatusActive, 0, "last speaking seat"},
		{l1, circles.ModeListener, circles.StatusActive, 0, "listeners don't count against capacity"},
		{l2, circles.ModeListener, circles.StatusWaitlisted, 1, "listener cap is separate"},
		{m3, circles.ModeMember, circles.StatusWaitlisted, 1, "speaking seats full"},
	}
	for _, tt := range tests {
		res := mustJoin(t, s, c, tt.user, tt.mode)
		if res.Membership.Status != tt.status || res.Position != tt.pos || res.Membership.Mode != tt.mode {
			t.Fatalf("%s: got %s at %d, want %s at %d", tt.comment, res.Membership.Status, res.Position, tt.status, tt.pos)
		}
	}

	// A freed speaking seat goes to the member waitlist, never to a listener.
	res, err := s.Leave(ctx, guildA, c.ID, m1, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Promoted) != 1 || res.Promoted[0].UserID != m3 || res.Promoted[0].Mode != circles.ModeMember {
		t.Fatalf("promoted = %+v, want member %s", res.Promoted, m3)
	}

	// Switching listener → member while the speaking seats are full is refused.
	_, err = s.Join(ctx, joinReq(c, l1, circles.ModeMember), t0)
	wantCode(t, err, circles.EConflict)
	if m, _ := s.Membership(ctx, guildA, c.ID, l1); m.Mode != circles.ModeListener || m.Status != circles.StatusActive {
		t.Fatalf("refused switch changed the membership: %+v", m)
	}

	// With a seat free it works, and the listener seat it frees goes to
	// the listener waitlist.
	if _, err := s.Leave(ctx, guildA, c.ID, m2, t0); err != nil {
		t.Fatal(err)
	}
	sw := mustJoin(t, s, c, l1, circles.ModeMember)
	if !sw.Switched || sw.Membership.Mode != circles.ModeMember || sw.Membership.Status != circles.StatusActive {
		t.Fatalf("switch = %+v", sw)
	}
	if m, _ := s.Membership(ctx, guildA, c.ID, l2); m.Status != circles.StatusActive || m.Mode != circles.ModeListener {
		t.Fatalf("listener waitlist not promoted after the switch: %+v", m)
	}
	if len(sw.Promoted) != 1 || sw.Promoted[0].UserID != l2 || sw.Promoted[0].Status != circles.StatusActive {
		t.Fatalf("switch promoted = %+v, want %s reported, so they can be told", sw.Promoted, l2)
	}

	noL := MustCreateCircle(t, s, guildA, "Speakers only", withoutListeners())
	_, err = s.Join(ctx, joinReq(noL, l1, circles.ModeListener), t0)
	wantCode(t, err, circles.EConflict)
}

func TestRemoveBlocksRejoinUntilLifted(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Chronic pain")
	u := user(1)
	mustJoin(t, s, c, u, circles.ModeMember)

	res, err := s.Remove(ctx, guildA, c.ID, u, owner, t0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Left.Status != circles.StatusRemoved || res.Left.RemovedBy != owner {
		t.Fatalf("removed = %+v", res.Left)
	}
	for _, mode := range []circles.Mode{circles.ModeMember, circles.ModeListener} {
		_, err = s.Join(ctx, joinReq(c, u, mode), t0)
		wantCode(t, err, circles.EForbidden)
	}
	_, err = s.Remove(ctx, guildA, c.ID, u, owner, t0)
	wantCode(t, err, circles.ENotFound)
	wantCode(t, s.LiftRemoval(ctx, guildA, c.ID, user(2), t0), circles.ENotFound)
	wantCode(t, s.LiftRemoval(ctx, guildB, c.ID, u, t0), circles.ENotFound)

	if err := s.LiftRemoval(ctx, guildA, c.ID, u, t0); err != nil {
		t.Fatal(err)
	}
	if r := mustJoin(t, s, c, u, circles.ModeMember); r.Membership.Status != circles.StatusActive || r.Membership.RemovedBy != "" {
		t.Fatalf("rejoin after lift = %+v", r.Membership)
	}
}

func TestUserCirclesRemindersAndLeaveGuild(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	b := MustCreateCircle(t, s, guildA, "Beta", withCapacity(2, 0))
	a := MustCreateCircle(t, s, guildA, "alpha")
	other := MustCreateCircle(t, s, guildB, "Elsewhere")
	u := user(1)
	mustJoin(t, s, b, user(2), circles.ModeMember)
	mustJoin(t, s, b, user(3), circles.ModeMember)
	mustJoin(t, s, b, u, circles.ModeMember) // waitlisted
	mustJoin(t, s, b, user(4), circles.ModeMember)
	mustJoin(t, s, a, u, circles.ModeListener)
	mustJoin(t, s, other, u, circles.ModeMember)

	ucs, err := s.UserCircles(ctx, guildA, u)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, uc := range ucs {
		names = append(names, uc.Circle.Name)
	}
	if len(ucs) != 2 || names[0] != "alpha" || names[1] != "Beta" || ucs[1].Position != 1 {
		t.Fatalf("UserCircles = %v %+v", names, ucs)
	}
	if err := s.SetReminders(ctx, guildA, a.ID, u, false, t0); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Membership(ctx, guildA, a.ID, u); m.Reminders {
		t.Fatal("reminders still on")
	}
	wantCode(t, s.SetReminders(ctx, guildA, a.ID, user(9), false, t0), circles.ENotFound)

	// u leaves the server; b's seat holder user(2) too, promoting user(4)
	// after u's waitlist place is gone.
	left, err := s.LeaveGuild(ctx, guildA, u, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 {
		t.Fatalf("LeaveGuild ended %d memberships, want 2", len(left))
	}
	if m, _ := s.Membership(ctx, guildB, other.ID, u); m.Status != circles.StatusActive {
		t.Fatalf("LeaveGuild reached another server: %+v", m)
	}
	res, err := s.Leave(ctx, guildA, b.ID, user(2), t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Promoted) != 1 || res.Promoted[0].UserID != user(4) {
		t.Fatalf("promoted = %+v", res.Promoted)
	}
	ms, err := s.Memberships(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, m := range ms {
		got = append(got, m.UserID)
	}
	sort.Strings(got)
	if len(got) != 2 || got[0] != user(3) || got[1] != user(4) {
		t.Fatalf("Memberships = %v", got)
	}
}

// An archived circle meets no more: it leaves the member's list of circles
// (but not their export), and its memberships no longer change by a
// facilitator's hand.
func TestArchivedCircleLeavesUserCirclesAndRefusesRemovals(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	live := MustCreateCircle(t, s, guildA, "Live")
	old := MustCreateCircle(t, s, guildA, "Old")
	u, r := user(1), user(2)
	mustJoin(t, s, live, u, circles.ModeMember)
	mustJoin(t, s, old, u, circles.ModeMember)
	mustJoin(t, s, old, r, circles.ModeMember)
	if _, err := s.Remove(ctx, guildA, old.ID, r, owner, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UpdateCircle(ctx, guildA, old.ID, func(c *circles.Circle) error { c.Archived = true; return nil }); err != nil {
		t.Fatal(err)
	}

	ucs, err := s.UserCircles(ctx, guildA, u)
	if err != nil || len(ucs) != 1 || ucs[0].Circle.ID != live.ID {
		t.Fatalf("UserCircles = %+v, %v; want only the live circle", ucs, err)
	}
	if x, _ := s.ExportUser(ctx, guildA, u, t0); len(x.Memberships) != 2 {
		t.Fatalf("export lost the archived circle's membership: %+v", x.Memberships)
	}
	_, err = s.Remove(ctx, guildA, old.ID, u, owner, t0)
	wantCode(t, err, circles.EConflict)
	wantCode(t, s.LiftRemoval(ctx, guildA, old.ID, r, t0), circles.EConflict)
	if m, _ := s.Membership(ctx, guildA, old.ID, r); m.Status != circles.StatusRemoved {
		t.Fatalf("refused lift changed the membership: %+v", m)
	}
}

// GuildMemberUserIDs names whom a member who left the server while the bot
// was offline could be: the guild's active and waitlisted members and the
// facilitators of its live circles, and no one else.
func TestGuildMemberUserIDs(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	fac, oldFac := user(50), user(51)
	c := MustCreateCircle(t, s, guildA, "Small", withCapacity(2, 0), withFacilitators(owner, fac))
	old := MustCreateCircle(t, s, guildA, "Old", withFacilitators(oldFac))
	other := MustCreateCircle(t, s, guildB, "Elsewhere", withFacilitators(user(60)))
	mustJoin(t, s, c, user(1), circles.ModeMember)
	mustJoin(t, s, c, user(7), circles.ModeMember)
	mustJoin(t, s, c, user(2), circles.ModeMember) // waitlisted
	mustJoin(t, s, c, user(3), circles.ModeMember) // waitlisted, then leaves
	mustJoin(t, s, old, user(4), circles.ModeMember)
	mustJoin(t, s, old, user(1), circles.ModeMember)
	mustJoin(t, s, other, user(5), circles.ModeMember)
	if _, err := s.Leave(ctx, guildA, c.ID, user(3), t0); err != nil {
		t.Fatal(err)
	}
	mustJoin(t, s, old, user(6), circles.ModeMember)
	if _, err := s.Remove(ctx, guildA, old.ID, user(6), owner, t0); err != nil {
		t.Fatal(err)
	}
	// An archived circle's facilitator is no one's facilitator any more; its
	// members still hold memberships LeaveGuild would end.
	if _, _, err := s.UpdateCircle(ctx, guildA, old.ID, func(c *circles.Circle) error { c.Archived = true; return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := s.GuildMemberUserIDs(ctx, guildA)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{owner, user(1), user(2), user(4), user(7), fac}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("GuildMemberUserIDs = %v, want %v", got, want)
	}
	if got, err := s.GuildMemberUserIDs(ctx, "100000000000000009"); err != nil || len(got) != 0 {
		t.Fatalf("a guild with no circles: %v, %v", got, err)
	}
}

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
