package data

import (
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circlebot/circlebot/circles"
)

// release0003 and release0010 are databases made by earlier releases
// (schema through migration 0003, and through 0010: the release before
// this one), as SQL dumps.
var (
	//go:embed testdata/release-0003.sql
	release0003 string
	//go:embed testdata/release-0010.sql
	release0010 string
	//go:embed testdata/released-migrations.txt
	releasedMigrations string
)

// columns describes a database's tables: table → column → "TYPE notnull pk".
func columns(t *testing.T, db *sql.DB) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	for _, table := range names {
		out[table] = map[string]string{}
		rows, err := db.Query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, typ string
			var notNull, pk int
			rows.Scan(&name, &typ, &notNull, &pk)
			out[table][name] = fmt.Sprintf("%s notnull=%d pk=%d", typ, notNull, pk)
		}
		rows.Close()
	}
	return out
}

func rowCounts(t *testing.T, db *sql.DB, tables map[string]map[string]string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for table := range tables {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM "` + table + `"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// Migrations are additive: every migration applied to a database of the
// previous release keeps each of its tables, columns (with their types)
// and rows, leaves the same schema a new database gets, and the store
// reads and writes what was there. A migration that renames or drops a
// column, or rewrites rows away, fails here; old binaries can then still
// read a restored backup, and an upgrade needs no downtime beyond a
// restart.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	t.Parallel()
	for name, dump := range map[string]string{"0003": release0003, "0010": release0010} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testUpgrade(t, dump)
		})
	}
}

func testUpgrade(t *testing.T, dump string) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "circlebot.db")
	w := openWriter(t, path)
	if _, err := w.Exec(dump); err != nil {
		t.Fatalf("loading the previous release's database: %v", err)
	}
	before := columns(t, w)
	counts := rowCounts(t, w, before)
	w.Close()

	s := mustOpenPath(t, path)
	ms, err := migrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Version(); err != nil || v != len(ms) {
		t.Fatalf("upgraded to version %d (%v), want %d", v, err, len(ms))
	}
	after := columns(t, s.r)
	for table, cols := range before {
		for col, desc := range cols {
			if got, ok := after[table][col]; !ok || got != desc {
				t.Errorf("%s.%s was %q, after the upgrade %q: migrations may only add", table, col, desc, got)
			}
		}
	}
	for table, n := range rowCounts(t, s.r, before) {
		if n < counts[table] {
			t.Errorf("%s had %d rows, has %d after the upgrade", table, counts[table], n)
		}
	}
	fresh := MustOpen(t)
	if want := columns(t, fresh.r); fmt.Sprint(after) != fmt.Sprint(want) {
		t.Errorf("the upgraded schema differs from a new database's:\nupgraded %v\nnew      %v", after, want)
	}
	if err := integrity(ctx, path); err != nil {
		t.Errorf("after the upgrade the database %v", err)
	}

	// What the previous release stored reads back, and the store writes.
	c, err := s.CircleByName(ctx, guildA, "Grief circle")
	if err != nil {
		t.Fatal(err)
	}
	roster, err := s.Memberships(ctx, c.ID)
	if err != nil || len(roster) != 2 { // one left, one was removed, the waitlisted moved up
		t.Fatalf("Memberships = %v, %v; want the 2 current of the old release", roster, err)
	}
	ledger, err := s.ConsentLedger(ctx, c.ID, user(1))
	if err != nil || len(ledger) == 0 {
		t.Errorf("ConsentLedger = %v, %v", ledger, err)
	}
	sessions, err := s.Sessions(ctx, circles.SessionFilter{CircleID: c.ID})
	if err != nil || len(sessions) != 2 {
		t.Fatalf("Sessions = %v, %v", sessions, err)
	}
	if rsvps, err := s.RSVPs(ctx, sessions[0].ID); err != nil || len(rsvps) != 1 {
		t.Errorf("RSVPs = %v, %v", rsvps, err)
	}
	if g, err := s.GuildSettings(ctx, guildA); err != nil || g.CategoryID == "" {
		t.Errorf("GuildSettings = %+v, %v", g, err)
	}
	if _, err := s.Join(ctx, joinReq(c, user(9), circles.ModeMember), t0); err != nil {
		t.Errorf("joining after the upgrade: %v", err)
	}
	if _, err := s.CircleByName(ctx, guildB, "Carers' circle"); err != nil {
		t.Error(err)
	}
}

// A migration that has been released is never edited: databases out there
// ran it as it was, and would never run it again.
func TestReleasedMigrationsUnchanged(t *testing.T) {
	t.Parallel()
	for _, line := range strings.Split(releasedMigrations, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("testdata/released-migrations.txt: %q is not \"SHA-256  file\"", line)
		}
		raw, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			t.Errorf("released migration %s is gone: %v", name, err)
			continue
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(raw)); got != sum {
			t.Errorf("released migration %s was edited (SHA-256 %s, released as %s): put the change in a new migration instead", name, got, sum)
		}
	}
}
