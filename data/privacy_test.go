package data

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

func TestExportThenErase(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	u := user(1)
	// u owns the guild, created and co-facilitates one circle, is a member
	// of a full one with a waitlist, answered an RSVP and removed someone.
	if _, err := s.GuildSeen(ctx, guildA, u, circles.GuildSettings{RetentionHours: 24}, t0); err != nil {
		t.Fatal(err)
	}
	led := newCircle(guildA, "Led by u", withFacilitators(u, owner))
	led.CreatedBy = u
	if err := s.CreateCircle(ctx, &led); err != nil {
		t.Fatal(err)
	}
	full := MustCreateCircle(t, s, guildA, "Full", withCapacity(2, 0))
	mustJoin(t, s, full, u, circles.ModeMember)
	mustJoin(t, s, full, user(2), circles.ModeMember)
	mustJoin(t, s, full, user(3), circles.ModeMember) // waits for u's seat
	mustJoin(t, s, led, user(4), circles.ModeMember)
	if _, err := s.Remove(ctx, guildA, led.ID, user(4), u, t0); err != nil {
		t.Fatal(err)
	}
	sess := mustEnsure(t, s, planned(full, t0.Add(24*time.Hour)))
	if _, err := s.SetRSVP(ctx, guildA, sess.ID, u, circles.RSVPGoing, t0); err != nil {
		t.Fatal(err)
	}
	// The same user elsewhere: erasure scoped to guildA leaves it alone.
	elsewhere := MustCreateCircle(t, s, guildB, "Elsewhere")
	mustJoin(t, s, elsewhere, u, circles.ModeListener)

	x, err := s.ExportUser(ctx, guildA, u, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Memberships) != 1 || len(x.Consents) != 1 || len(x.RSVPs) != 1 || len(x.FacilitatorOf) != 1 ||
		len(x.GuildsOwned) != 1 || x.Circles[full.ID].Name != "Full" || x.Circles[led.ID].Name != "Led by u" {
		t.Fatalf("export = %+v", x)
	}
	if _, ok := x.Circles[elsewhere.ID]; ok {
		t.Fatal("a guild-scoped export names a circle of another server")
	}
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range append([]string{`"not_stored"`, `"consent_ledger"`, u}, circles.NotStored...) {
		if !strings.Contains(string(b), want) {
			t.Errorf("export JSON lacks %q", want)
		}
	}
	all, err := s.ExportUser(ctx, "", u, t0)
	if err != nil || len(all.Memberships) != 2 {
		t.Fatalf("all-server export = %+v, %v", all, err)
	}

	e, err := s.EraseUser(ctx, guildA, u, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if e.Memberships != 1 || e.ConsentEvents != 1 || e.RSVPs != 1 || e.Facilitations != 1 {
		t.Fatalf("erasure = %+v", e)
	}
	if len(e.Left) != 1 || len(e.Left[0].Promoted) != 1 || e.Left[0].Promoted[0].UserID != user(3) {
		t.Fatalf("erasure left = %+v, want user(3) promoted into u's seat", e.Left)
	}
	if len(e.FacilitatorOf) != 1 || e.FacilitatorOf[0].ID != led.ID || e.FacilitatorOf[0].GuildID != guildA {
		t.Fatalf("erasure facilitator of = %+v, want the circle u co-facilitated, for its channels", e.FacilitatorOf)
	}
	// Only guildB's rows may still mention u.
	for _, row := range rowsMentioning(t, s, u) {
		if !strings.Contains(row, guildB) {
			t.Errorf("after erasure a row still mentions the user: %s", row)
		}
	}
	if _, err := s.EraseUser(ctx, "", u, t0); err != nil {
		t.Fatal(err)
	}
	if rows := rowsMentioning(t, s, u); len(rows) > 0 {
		t.Fatalf("after erasing everywhere, rows mention the user:\n%s", strings.Join(rows, "\n"))
	}
	if x, _ := s.ExportUser(ctx, "", u, t0); len(x.Memberships)+len(x.Consents)+len(x.RSVPs)+len(x.FacilitatorOf)+len(x.GuildsOwned)+len(x.Circles) != 0 {
		t.Fatalf("export after erasure = %+v", x)
	}
}

func TestEraseRefusesSoleFacilitator(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Only me")
	mustJoin(t, s, c, user(1), circles.ModeMember)
	other := MustCreateCircle(t, s, guildA, "Other")
	mustJoin(t, s, other, owner, circles.ModeMember)

	before := rowsMentioning(t, s, owner)
	_, err := s.EraseUser(ctx, guildA, owner, t0)
	wantCode(t, err, circles.EConflict)
	if !strings.Contains(circles.ErrorMessage(err), "Only me") {
		t.Errorf("message %q doesn't name the circle", circles.ErrorMessage(err))
	}
	if after := rowsMentioning(t, s, owner); len(after) != len(before) {
		t.Fatalf("refused erasure changed rows: %d before, %d after", len(before), len(after))
	}
	// Another guild's circle is not in the way of a guild-scoped erasure.
	if _, err := s.EraseUser(ctx, guildB, owner, t0); err != nil {
		t.Fatal(err)
	}
	// Once the circle is archived, erasure goes ahead.
	for _, id := range []int64{c.ID, other.ID} {
		if _, _, err := s.UpdateCircle(ctx, guildA, id, func(c *circles.Circle) error { c.Archived = true; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.EraseUser(ctx, guildA, owner, t0); err != nil {
		t.Fatal(err)
	}
	if rows := rowsMentioning(t, s, owner); len(rows) > 0 {
		t.Fatalf("rows mention the user: %v", rows)
	}
}

// Someone a facilitator removed can't erase their way back in: erasure
// keeps a bare marker of the removal (user, circle, when) and nothing
// else, until a facilitator lifts it.
func TestEraseKeepsOnlyARemovalMarker(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Safe space", withCapacity(3, 2))
	u := user(1)
	mustJoin(t, s, c, u, circles.ModeListener)
	removedAt := t0.Add(time.Hour)
	if _, err := s.Remove(ctx, guildA, c.ID, u, owner, removedAt); err != nil {
		t.Fatal(err)
	}
	if err := s.SetReminders(ctx, guildA, c.ID, u, true, t0); err == nil {
		t.Fatal("reminders changed on a removed membership")
	}

	e, err := s.EraseUser(ctx, guildA, u, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if e.Memberships != 0 || e.RemovalsKept != 1 || e.ConsentEvents != 2 {
		t.Fatalf("erasure = %+v, want the ledger gone and one removal kept", e)
	}
	rows := rowsMentioning(t, s, u)
	if len(rows) != 1 || !strings.HasPrefix(rows[0], "memberships:") {
		t.Fatalf("rows mentioning the user after erasure: %v", rows)
	}
	m, err := s.Membership(ctx, guildA, c.ID, u)
	if err != nil {
		t.Fatal(err)
	}
	want := circles.Membership{GuildID: guildA, CircleID: c.ID, UserID: u, Mode: circles.ModeMember, Status: circles.StatusRemoved, UpdatedAt: removedAt}
	if m != want {
		t.Fatalf("marker = %+v, want only %+v", m, want)
	}
	if ledger, _ := s.ConsentLedger(ctx, c.ID, u); len(ledger) != 0 {
		t.Fatalf("ledger after erasure: %+v", ledger)
	}
	if x, _ := s.ExportUser(ctx, guildA, u, t0); len(x.Memberships) != 1 || x.Memberships[0].Status != circles.StatusRemoved || len(x.Consents) != 0 {
		t.Fatalf("export after erasure = %+v, want the marker only", x)
	}

	_, err = s.Join(ctx, joinReq(c, u, circles.ModeMember), t0)
	wantCode(t, err, circles.EForbidden)
	if err := s.LiftRemoval(ctx, guildA, c.ID, u, t0); err != nil {
		t.Fatal(err)
	}
	if res := mustJoin(t, s, c, u, circles.ModeMember); res.Membership.Status != circles.StatusActive {
		t.Fatalf("rejoin after the lift = %+v", res.Membership)
	}
}
