package data

import (
	"context"
	"strings"
	"testing"

	"github.com/circlebot/circlebot/circles"
)

func TestLocales(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, "g1", "Trauerkreis", withFacilitators("fac"))

	if loc, err := s.CircleLocale(ctx, c.ID); err != nil || loc != "" {
		t.Fatalf("CircleLocale before setting = %q, %v; want \"\"", loc, err)
	}
	if err := s.SetCircleLocale(ctx, c.ID, "de"); err != nil {
		t.Fatal(err)
	}
	if loc, _ := s.CircleLocale(ctx, c.ID); loc != "de" {
		t.Fatalf("CircleLocale = %q, want de", loc)
	}

	// A passer-by's locale is not stored; a member's and a facilitator's are.
	if ok, err := s.SeeUserLocale(ctx, "g1", "stranger", "fr"); err != nil || ok {
		t.Fatalf("SeeUserLocale(stranger) = %v, %v; want nothing stored", ok, err)
	}
	mustJoin(t, s, c, "u1", circles.ModeMember)
	for _, u := range []string{"u1", "fac"} {
		if ok, err := s.SeeUserLocale(ctx, "g1", u, "de"); err != nil || !ok {
			t.Fatalf("SeeUserLocale(%s) = %v, %v; want stored", u, ok, err)
		}
	}
	if ok, _ := s.SeeUserLocale(ctx, "g1", "u1", "de"); ok {
		t.Error("the same locale again rewrote the row")
	}
	if loc, _ := s.UserLocale(ctx, "g1", "u1"); loc != "de" {
		t.Fatalf("UserLocale = %q, want de", loc)
	}
	x, err := s.ExportUser(ctx, "g1", "u1", t0)
	if err != nil || x.Locales["g1"] != "de" {
		t.Fatalf("export locales = %v, %v; want g1: de", x.Locales, err)
	}
	if _, err := s.EraseUser(ctx, "g1", "u1", t0); err != nil {
		t.Fatal(err)
	}
	if loc, _ := s.UserLocale(ctx, "g1", "u1"); loc != "" {
		t.Fatalf("UserLocale after erasure = %q, want \"\"", loc)
	}
	if err := s.PurgeGuild(ctx, "g1"); err != nil {
		t.Fatal(err)
	}
	if loc, _ := s.UserLocale(ctx, "g1", "fac"); loc != "" {
		t.Fatalf("UserLocale after purge = %q, want \"\"", loc)
	}
	if loc, _ := s.CircleLocale(ctx, c.ID); loc != "" {
		t.Fatalf("CircleLocale after purge = %q, want \"\"", loc)
	}
}

// Noting a locale looks up the person's memberships by user and server,
// not every membership of the server.
func TestSeeUserLocaleUsesItsIndex(t *testing.T) {
	s := MustOpen(t)
	for _, step := range queryPlan(t, s, seeUserLocaleSQL, guildA, user(1), "de", user(1), guildA, user(1), guildA) {
		if strings.Contains(step, "memberships") && !strings.Contains(step, "memberships_user (user_id=? AND guild_id=?)") {
			t.Errorf("the locale's membership test searches %q", step)
		}
	}
}
