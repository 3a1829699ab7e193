package data

import (
	"context"
	"testing"
	"time"

	"github.com/circlebot/circlebot/circles"
)

func TestGuildLifecycle(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	_, err := s.GuildSettings(ctx, guildA)
	wantCode(t, err, circles.ENotFound)

	defaults := circles.GuildSettings{RetentionHours: 24, ReminderMinutes: 60}
	isNew, err := s.GuildSeen(ctx, guildA, owner, defaults, t0)
	if err != nil || !isNew {
		t.Fatalf("first GuildSeen = %v, %v", isNew, err)
	}
	g, err := s.GuildSettings(ctx, guildA)
	if err != nil || g.RetentionHours != 24 || g.ReminderMinutes != 60 || g.OwnerID != owner || g.Configured || !g.JoinedAt.Equal(t0) {
		t.Fatalf("settings = %+v, %v", g, err)
	}
	g.CategoryID, g.RetentionHours, g.CrisisResources = "500000000000000001", 2, "Call 112."
	if err := s.SaveGuildSettings(ctx, g); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.SaveGuildSettings(ctx, circles.GuildSettings{GuildID: guildA, RetentionHours: -1}), circles.EInvalid)

	c := MustCreateCircle(t, s, guildA, "Grief")
	if err := s.GuildRemoved(ctx, guildA, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.GuildRemoved(ctx, guildA, t0.Add(2*time.Hour)); err != nil { // a repeat keeps the first time
		t.Fatal(err)
	}
	if ids, _ := s.AllCircleIDs(ctx); len(ids) != 0 {
		t.Fatalf("AllCircleIDs includes a removed guild's circles: %v", ids)
	}
	if ids, err := s.GuildIDs(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("GuildIDs lists a removed guild: %v, %v", ids, err)
	}
	ids, err := s.GuildsRemovedBefore(ctx, t0.Add(90*time.Minute))
	if err != nil || len(ids) != 1 || ids[0] != guildA {
		t.Fatalf("GuildsRemovedBefore = %v, %v", ids, err)
	}

	// Added back within the grace period: not new, removal cleared, settings kept.
	isNew, err = s.GuildSeen(ctx, guildA, owner, circles.GuildSettings{RetentionHours: 99}, t0.Add(3*time.Hour))
	if err != nil || isNew {
		t.Fatalf("second GuildSeen = %v, %v", isNew, err)
	}
	g, _ = s.GuildSettings(ctx, guildA)
	if !g.RemovedAt.IsZero() || g.RetentionHours != 2 || !g.Configured || g.CategoryID == "" || !g.JoinedAt.Equal(t0) {
		t.Fatalf("settings after return = %+v", g)
	}
	if ids, _ := s.AllCircleIDs(ctx); len(ids) != 1 || ids[0] != c.ID {
		t.Fatalf("AllCircleIDs = %v", ids)
	}
	// A guild known only by its circles (no GUILD_CREATE recorded) counts too.
	MustCreateCircle(t, s, guildB, "Grief")
	if ids, err := s.GuildIDs(ctx); err != nil || len(ids) != 2 || ids[0] != guildA || ids[1] != guildB {
		t.Fatalf("GuildIDs after return = %v, %v", ids, err)
	}
}

func TestPurgeGuildRemovesOnlyThatGuild(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	seed := func(guild string) {
		if _, err := s.GuildSeen(ctx, guild, owner, circles.GuildSettings{}, t0); err != nil {
			t.Fatal(err)
		}
		c := MustCreateCircle(t, s, guild, "Grief", withCapacity(2, 1))
		for i := 1; i <= 4; i++ {
			mustJoin(t, s, c, user(i), circles.ModeMember)
		}
		if _, err := s.Leave(ctx, guild, c.ID, user(1), t0); err != nil {
			t.Fatal(err)
		}
		sess := mustEnsure(t, s, planned(c, t0.Add(24*time.Hour)))
		if _, err := s.SetRSVP(ctx, guild, sess.ID, user(2), circles.RSVPGoing, t0); err != nil {
			t.Fatal(err)
		}
	}
	seed(guildA)
	seed(guildB)
	snapshot := func(guild string) map[string]int {
		out := map[string]int{}
		for _, q := range []struct{ table, where string }{
			{"guilds", "id = ?"},
			{"circles", "guild_id = ?"},
			{"circle_facilitators", "circle_id IN (SELECT id FROM circles WHERE guild_id = ?)"},
			{"memberships", "guild_id = ?"},
			{"consent_events", "guild_id = ?"},
			{"sessions", "guild_id = ?"},
			{"rsvps", "guild_id = ?"},
		} {
			out[q.table] = count(t, s, `SELECT COUNT(*) FROM `+q.table+` WHERE `+q.where, guild)
		}
		return out
	}
	keep := snapshot(guildB)
	if err := s.PurgeGuild(ctx, guildA); err != nil {
		t.Fatal(err)
	}
	for table, n := range snapshot(guildA) {
		if n != 0 {
			t.Errorf("%s still has %d rows of the purged guild", table, n)
		}
		if keep[table] == 0 {
			t.Errorf("%s: the seed put no rows there, so the check proves nothing", table)
		}
	}
	for table, n := range snapshot(guildB) {
		if n != keep[table] {
			t.Errorf("%s: other guild had %d rows, now %d", table, keep[table], n)
		}
	}
	if rows := rowsMentioning(t, s, guildA); len(rows) > 0 {
		t.Fatalf("rows still mention the purged guild: %v", rows)
	}
}
