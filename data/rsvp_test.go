package data

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

// UserRSVPs answers for one user and the sessions asked about only, by the
// rsvps key.
func TestUserRSVPs(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief")
	mustJoin(t, s, c, user(1), circles.ModeMember)
	mustJoin(t, s, c, user(2), circles.ModeMember)
	var sessions []circles.Session
	for i := range 3 {
		sessions = append(sessions, mustEnsure(t, s, planned(c, t0.Add(time.Duration(i+1)*7*24*time.Hour))))
	}
	answer := func(i int, u string, status circles.RSVPStatus) {
		t.Helper()
		if _, err := s.SetRSVP(ctx, guildA, sessions[i].ID, u, status, t0); err != nil {
			t.Fatal(err)
		}
	}
	answer(0, user(1), circles.RSVPGoing)
	answer(1, user(1), circles.RSVPSkip)
	answer(2, user(1), circles.RSVPGoing) // not asked about
	answer(0, user(2), circles.RSVPSkip)  // someone else

	got, err := s.UserRSVPs(ctx, user(1), []int64{sessions[0].ID, sessions[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]circles.RSVPStatus{sessions[0].ID: circles.RSVPGoing, sessions[1].ID: circles.RSVPSkip}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %v", got, want)
	}
	for _, r := range got {
		if r.UserID != user(1) || want[r.SessionID] != r.Status || r.CircleID != c.ID || r.GuildID != guildA {
			t.Errorf("unexpected %+v, want %v", r, want)
		}
	}
	if got, err := s.UserRSVPs(ctx, user(2), []int64{sessions[1].ID}); err != nil || len(got) != 0 {
		t.Fatalf("a session not answered: %+v, %v", got, err)
	}
	if got, err := s.UserRSVPs(ctx, user(1), nil); err != nil || len(got) != 0 {
		t.Fatalf("no sessions: %+v, %v", got, err)
	}
	for _, step := range queryPlan(t, s, `SELECT * FROM rsvps `+userRSVPsWhere(2), int64(1), int64(2), user(1)) {
		if strings.HasPrefix(step, "SCAN") {
			t.Fatalf("UserRSVPs reads the whole table: %q", step)
		}
	}
}
