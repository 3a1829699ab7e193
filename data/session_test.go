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

func planned(c circles.Circle, start time.Time) circles.Session {
	return circles.Session{CircleID: c.ID, GuildID: c.GuildID, Start: start, End: start.Add(c.Schedule.Duration), State: circles.SessionPlanned}
}

func mustEnsure(tb testing.TB, s *Store, in circles.Session) circles.Session {
	tb.Helper()
	out, _, err := s.EnsureSession(context.Background(), in)
	if err != nil {
		tb.Fatalf("EnsureSession: %v", err)
	}
	return out
}

func TestEnsureSessionIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief")
	start := t0.Add(30 * time.Hour)

	first, created, err := s.EnsureSession(ctx, planned(c, start))
	if err != nil || !created || first.ID == 0 {
		t.Fatalf("first = %+v, %v, %v", first, created, err)
	}
	again := planned(c, start)
	again.Shift = "different, and ignored"
	second, created, err := s.EnsureSession(ctx, again)
	if err != nil || created || second.ID != first.ID || second.Shift != "" {
		t.Fatalf("second = %+v, %v, %v", second, created, err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM sessions WHERE circle_id = ?`, c.ID); n != 1 {
		t.Fatalf("%d rows for one occurrence", n)
	}
	if !second.Start.Equal(start) || second.Start.Location() != time.UTC || second.GuildID != guildA {
		t.Fatalf("stored session = %+v", second)
	}

	_, _, err = s.EnsureSession(ctx, circles.Session{CircleID: c.ID, GuildID: guildB, Start: start, End: start.Add(time.Hour)})
	wantCode(t, err, circles.ENotFound)
	_, _, err = s.EnsureSession(ctx, circles.Session{CircleID: 12345, Start: start, End: start.Add(time.Hour)})
	wantCode(t, err, circles.ENotFound)

	// UpdateSession keeps identity, saves progress.
	upd, err := s.UpdateSession(ctx, first.ID, func(x *circles.Session) error {
		x.State, x.ChannelID, x.PromptsPosted, x.WelcomePosted = circles.SessionOpen, "400000000000000001", 2, true
		x.GuidelinesVersion, x.ReconsentAsked = 3, true
		x.GateMessageID, x.AccessDirty = "400000000000000002", true
		x.OpenedAt, x.DueAt = start, start.Add(10*time.Minute)
		x.CircleID = 999
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.CircleID != c.ID || upd.State != circles.SessionOpen || upd.PromptsPosted != 2 || !upd.WelcomePosted || !upd.OpenedAt.Equal(start) {
		t.Fatalf("updated = %+v", upd)
	}
	if reread, err := s.Session(ctx, first.ID); err != nil || reread.GuidelinesVersion != 3 || !reread.ReconsentAsked ||
		reread.GateMessageID != "400000000000000002" || !reread.AccessDirty {
		t.Fatalf("reread = %+v, %v", reread, err)
	}
	byCh, err := s.SessionByChannel(ctx, "400000000000000001")
	if err != nil || byCh.ID != first.ID {
		t.Fatalf("SessionByChannel = %+v, %v", byCh, err)
	}
	_, err = s.SessionByChannel(ctx, "nope")
	wantCode(t, err, circles.ENotFound)
	_, err = s.Session(ctx, 424242)
	wantCode(t, err, circles.ENotFound)

	// Moving onto another occurrence of the same circle is a conflict.
	other := mustEnsure(t, s, planned(c, start.Add(7*24*time.Hour)))
	_, err = s.UpdateSession(ctx, other.ID, func(x *circles.Session) error { x.Start = start; return nil })
	wantCode(t, err, circles.EConflict)
}

func TestDueSessions(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief")

	if _, ok, err := s.NextDue(ctx, circles.Shards{}); ok || err != nil {
		t.Fatalf("NextDue on empty store: ok=%v err=%v", ok, err)
	}
	dues := []time.Duration{50, 10, 30, 0 /* nothing pending */, 20, 90}
	for i, d := range dues {
		x := planned(c, t0.Add(time.Duration(i+1)*24*time.Hour))
		if d != 0 {
			x.DueAt = t0.Add(d * time.Minute)
		}
		mustEnsure(t, s, x)
	}
	next, ok, err := s.NextDue(ctx, circles.Shards{})
	if err != nil || !ok || !next.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("NextDue = %v, %v, %v", next, ok, err)
	}
	got, err := s.DueSessions(ctx, t0.Add(50*time.Minute), 0, circles.Shards{})
	if err != nil {
		t.Fatal(err)
	}
	var mins []int
	for _, x := range got {
		mins = append(mins, int(x.DueAt.Sub(t0).Minutes()))
	}
	if want := []int{10, 20, 30, 50}; len(mins) != len(want) || mins[0] != 10 || mins[1] != 20 || mins[2] != 30 || mins[3] != 50 {
		t.Fatalf("due minutes = %v, want %v", mins, want)
	}
	got, err = s.DueSessions(ctx, t0.Add(time.Hour), 2, circles.Shards{})
	if err != nil || len(got) != 2 || !got[1].DueAt.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("limited = %+v, %v", got, err)
	}

	list, err := s.Sessions(ctx, circles.SessionFilter{GuildID: guildA, From: t0.Add(48 * time.Hour), To: t0.Add(96 * time.Hour)})
	if err != nil || len(list) != 2 || !list[0].Start.Before(list[1].Start) {
		t.Fatalf("Sessions range = %+v, %v", list, err)
	}
	list, err = s.Sessions(ctx, circles.SessionFilter{CircleID: c.ID, States: []circles.SessionState{circles.SessionOpen}})
	if err != nil || len(list) != 0 {
		t.Fatalf("Sessions open = %+v, %v", list, err)
	}
}

// The scheduler asks "what is next" on every wake; with a long history that
// must be an index lookup, not a scan of every session ever held. A process
// that runs some of the shards asks the same of its own guilds: SQLite
// searches sessions_due in order, checking each row's guild as it goes.
func TestDueQueriesUseIndex(t *testing.T) {
	s := MustOpen(t)
	half := circles.Shards{Count: 4, IDs: []int{2, 3}}
	term, targs := shardTerm("s.guild_id", half)
	for _, q := range []struct {
		name, sql string
		args      []any
	}{
		{"DueSessions", fmt.Sprintf(dueSessionsSQL, ""), []any{t0.UnixMilli(), 10}},
		{"NextDue", nextDueSQL, nil},
		{"DueSessions in shards", fmt.Sprintf(dueSessionsSQL, " AND "+term), append(append([]any{t0.UnixMilli()}, targs...), 10)},
		{"NextDue in shards", fmt.Sprintf(nextDueInSQL, term), append([]any{nextDueWalk}, targs...)},
		{"NextDue in shards, the horizon", nextDueHorizonSQL, []any{nextDueWalk - 1}},
	} {
		all := strings.Join(queryPlan(t, s, q.sql, q.args...), "; ")
		t.Logf("%s: %s", q.name, all)
		if strings.Contains(all, "CO-ROUTINE s;") {
			// NextDue in shards reads its LIMITed search of the index
			// as a subquery: that scan is of at most nextDueWalk rows.
			all = strings.Replace(all, "; SCAN s", "", 1)
		}
		if !strings.Contains(all, "USING") || !strings.Contains(all, "INDEX sessions_due") || strings.Contains(all, "SCAN") || strings.Contains(all, "TEMP B-TREE") {
			t.Errorf("%s plan = %q, want a search USING INDEX sessions_due, no SCAN and no sort", q.name, all)
		}
	}
}

// A process that runs some of the shards sees the due sessions of its own
// guilds only, by Discord's formula: the sessions of the other guilds are
// another process's.
func TestDueSessionsInShards(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	guild := func(shard int64) string { return strconv.FormatInt((1000+shard)<<22, 10) } // on shard `shard` of 4
	var circlesOf [4]circles.Circle
	for shard := range 4 {
		circlesOf[shard] = MustCreateCircle(t, s, guild(int64(shard)), "Grief")
	}
	// Shard 0's session is due first, shard 3's last.
	for shard, c := range circlesOf {
		x := planned(c, t0.Add(24*time.Hour))
		x.DueAt = t0.Add(time.Duration(shard+1) * time.Minute)
		mustEnsure(t, s, x)
	}
	for _, tc := range []struct {
		shards circles.Shards
		want   []string // guilds, in due order
	}{
		{circles.Shards{}, []string{guild(0), guild(1), guild(2), guild(3)}},
		{circles.Shards{Count: 4, IDs: []int{2, 3}}, []string{guild(2), guild(3)}},
		{circles.Shards{Count: 4, IDs: []int{1}}, []string{guild(1)}},
		{circles.Shards{Count: 2, IDs: []int{1}}, []string{guild(1), guild(3)}},
		{circles.Shards{Count: 4, IDs: []int{0, 1, 2, 3}}, []string{guild(0), guild(1), guild(2), guild(3)}},
	} {
		got, err := s.DueSessions(ctx, t0.Add(time.Hour), 0, tc.shards)
		if err != nil {
			t.Fatal(err)
		}
		var guilds []string
		for _, x := range got {
			guilds = append(guilds, x.GuildID)
		}
		if !slices.Equal(guilds, tc.want) {
			t.Errorf("%+v: due sessions of guilds %v, want %v", tc.shards, guilds, tc.want)
		}
		next, ok, err := s.NextDue(ctx, tc.shards)
		if err != nil || !ok || !next.Equal(t0.Add(time.Duration(circles.ShardOf(tc.want[0], 4)+1)*time.Minute)) {
			t.Errorf("%+v: NextDue = %v, %v, %v; want the due time of guild %s", tc.shards, next, ok, err, tc.want[0])
		}
		if got, err := s.DueSessions(ctx, t0.Add(time.Hour), 1, tc.shards); err != nil || len(got) != 1 || got[0].GuildID != tc.want[0] {
			t.Errorf("%+v: the first due session = %+v, %v; want guild %s's (LIMIT counts only its own)", tc.shards, got, err, tc.want[0])
		}
	}
	if _, ok, err := s.NextDue(ctx, circles.Shards{Count: 8, IDs: []int{5}}); ok || err != nil {
		t.Errorf("NextDue of a shard without sessions: ok=%v err=%v", ok, err)
	}
}

// A process whose shards have nothing pending soon doesn't read every
// other shard's pending session on each wake to find its own: NextDue
// looks at the first nextDueWalk, and answers the last one's time when
// none of them is its own — never later than its own next one.
func TestNextDueOfAQuietShard(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	guild := func(shard int64) string { return strconv.FormatInt((1000+shard)<<22, 10) } // on shard `shard` of 2
	busy, quiet := MustCreateCircle(t, s, guild(0), "Busy"), MustCreateCircle(t, s, guild(1), "Quiet")
	due := func(c circles.Circle, n int) {
		x := planned(c, t0.Add(time.Duration(n)*24*time.Hour))
		x.DueAt = t0.Add(time.Duration(n) * time.Minute)
		mustEnsure(t, s, x)
	}
	due(quiet, 1000)
	for n := range 10 {
		due(busy, n+1)
	}
	shard1 := circles.Shards{Count: 2, IDs: []int{1}}
	if next, ok, err := s.NextDue(ctx, shard1); err != nil || !ok || !next.Equal(t0.Add(1000*time.Minute)) {
		t.Fatalf("10 others first: NextDue = %v, %v, %v; want its own session's, at +1000 min", next, ok, err)
	}
	if _, ok, err := s.NextDue(ctx, circles.Shards{Count: 4, IDs: []int{3}}); ok || err != nil {
		t.Fatalf("a shard with nothing pending among 11: ok=%v err=%v", ok, err)
	}
	for n := 10; n < nextDueWalk+50; n++ {
		due(busy, n+1)
	}
	if next, ok, err := s.NextDue(ctx, shard1); err != nil || !ok || !next.Equal(t0.Add(nextDueWalk*time.Minute)) {
		t.Fatalf("%d others first: NextDue = %v, %v, %v; want the %dth's time, +%d min", nextDueWalk+50, next, ok, err, nextDueWalk, nextDueWalk)
	}
}

// A schedule change is the scheduler's to reconcile: the store keeps every
// session, planned ones with their RSVPs included.
func TestScheduleChangeKeepsSessions(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief")
	mustJoin(t, s, c, user(1), circles.ModeMember)
	next := mustEnsure(t, s, planned(c, t0.Add(7*24*time.Hour)))
	if _, err := s.SetRSVP(ctx, guildA, next.ID, user(1), circles.RSVPGoing, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UpdateCircle(ctx, guildA, c.ID, func(c *circles.Circle) error { c.Schedule.Hour = 20; return nil }); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Session(ctx, next.ID); err != nil || got.State != circles.SessionPlanned {
		t.Fatalf("planned session after a schedule change: %+v, %v", got, err)
	}
	if rs, err := s.RSVPs(ctx, next.ID); err != nil || len(rs) != 1 {
		t.Fatalf("RSVPs after a schedule change: %+v, %v", rs, err)
	}
}

// DeletePlannedSession removes only a planned session that has not begun to
// open, and its RSVPs with it.
func TestDeletePlannedSession(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief")
	mustJoin(t, s, c, user(1), circles.ModeMember)
	free := mustEnsure(t, s, planned(c, t0.Add(24*time.Hour)))
	if _, err := s.SetRSVP(ctx, guildA, free.ID, user(1), circles.RSVPGoing, t0); err != nil {
		t.Fatal(err)
	}
	opening := planned(c, t0.Add(48*time.Hour))
	opening.ChannelID = "400000000000000009"
	opening = mustEnsure(t, s, opening)
	openedUnrecorded := planned(c, t0.Add(72*time.Hour))
	openedUnrecorded.OpenedAt = t0
	openedUnrecorded = mustEnsure(t, s, openedUnrecorded)
	open := planned(c, t0.Add(96*time.Hour))
	open.State = circles.SessionOpen
	open = mustEnsure(t, s, open)

	for _, tc := range []struct {
		name string
		id   int64
		want bool
	}{
		{"planned", free.ID, true},
		{"already gone", free.ID, false},
		{"with a channel", opening.ID, false},
		{"opened, not recorded", openedUnrecorded.ID, false},
		{"open", open.ID, false},
	} {
		deleted, err := s.DeletePlannedSession(ctx, tc.id)
		if err != nil || deleted != tc.want {
			t.Errorf("%s: deleted %v, %v; want %v", tc.name, deleted, err, tc.want)
		}
	}
	if _, err := s.Session(ctx, free.ID); circles.ErrorCode(err) != circles.ENotFound {
		t.Fatalf("deleted session still readable: %v", err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM rsvps WHERE session_id = ?`, free.ID); n != 0 {
		t.Fatalf("%d RSVPs of the deleted session left", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM sessions`); n != 3 {
		t.Fatalf("%d sessions left, want 3", n)
	}
}

func TestSetRSVP(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief", withCapacity(2, 1))
	sess := mustEnsure(t, s, planned(c, t0.Add(24*time.Hour)))
	member, waiting, listener := user(1), user(3), user(4)
	mustJoin(t, s, c, member, circles.ModeMember)
	mustJoin(t, s, c, user(2), circles.ModeMember)
	mustJoin(t, s, c, waiting, circles.ModeMember)
	mustJoin(t, s, c, listener, circles.ModeListener)

	tests := []struct {
		name   string
		guild  string
		sessID int64
		user   string
		status circles.RSVPStatus
		code   circles.Code
	}{
		{"member", guildA, sess.ID, member, circles.RSVPGoing, ""},
		{"listener", guildA, sess.ID, listener, circles.RSVPSkip, ""},
		{"facilitator", guildA, sess.ID, owner, circles.RSVPGoing, ""},
		{"member changes answer", guildA, sess.ID, member, circles.RSVPSkip, ""},
		{"waitlisted", guildA, sess.ID, waiting, circles.RSVPGoing, circles.EForbidden},
		{"stranger", guildA, sess.ID, user(9), circles.RSVPGoing, circles.EForbidden},
		{"other guild", guildB, sess.ID, member, circles.RSVPGoing, circles.ENotFound},
		{"no such session", guildA, 9999, member, circles.RSVPGoing, circles.ENotFound},
		{"bad answer", guildA, sess.ID, member, "maybe", circles.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.SetRSVP(ctx, tt.guild, tt.sessID, tt.user, tt.status, t0)
			wantCode(t, err, tt.code)
			if err == nil && (r.Status != tt.status || r.CircleID != c.ID || r.GuildID != guildA) {
				t.Fatalf("rsvp = %+v", r)
			}
		})
	}
	rs, err := s.RSVPs(ctx, sess.ID)
	if err != nil || len(rs) != 3 {
		t.Fatalf("RSVPs = %+v, %v", rs, err)
	}
	if circles.FacilitatorPresent(c, rs) != true {
		t.Fatal("facilitator's going answer not seen")
	}

	if _, err := s.UpdateSession(ctx, sess.ID, func(x *circles.Session) error { x.State = circles.SessionClosed; return nil }); err != nil {
		t.Fatal(err)
	}
	_, err = s.SetRSVP(ctx, guildA, sess.ID, member, circles.RSVPGoing, t0)
	wantCode(t, err, circles.EConflict)
}
