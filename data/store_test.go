package data

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/circlebot/circlebot/circles"
)

func TestMigrationsAppliedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "circlebot.db")
	ms, err := migrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	s := mustOpenPath(t, path)
	v, err := s.Version()
	if err != nil || v != len(ms) || v < 1 {
		t.Fatalf("Version = %d, %v; want %d", v, err, len(ms))
	}
	var appliedAt int64
	if err := s.w.QueryRow(`SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&appliedAt); err != nil {
		t.Fatal(err)
	}
	if appliedAt != t0.UnixMilli() {
		t.Errorf("migration stamped %v, want the store's clock, %v", time.UnixMilli(appliedAt).UTC(), t0)
	}
	MustCreateCircle(t, s, guildA, "Survives reopening")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = mustOpenPath(t, path)
	if n := count(t, s, `SELECT COUNT(*) FROM schema_migrations`); n != len(ms) {
		t.Fatalf("%d migration records after reopening, want %d", n, len(ms))
	}
	var again int64
	s.w.QueryRow(`SELECT applied_at FROM schema_migrations WHERE version = 1`).Scan(&again)
	if again != appliedAt {
		t.Fatal("migration 1 was applied again on reopen")
	}
	if _, err := s.CircleByName(context.Background(), guildA, "survives reopening"); err != nil {
		t.Fatal(err)
	}
}

func TestFileMode(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.db")
	s := mustOpenPath(t, fresh)
	MustCreateCircle(t, s, guildA, "Grief") // make sure -wal and -shm exist
	for _, p := range []string{fresh, fresh + "-wal", fresh + "-shm"} {
		wantMode(t, p, 0o600)
	}

	// A database someone copied with loose permissions, WAL included.
	loose := filepath.Join(dir, "loose.db")
	for _, p := range []string{loose, loose + "-wal"} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, 0o644) // whatever the umask
	}
	mustOpenPath(t, loose)
	wantMode(t, loose, 0o600)
	wantMode(t, loose+"-wal", 0o600)
}

func wantMode(tb testing.TB, path string, want os.FileMode) {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		tb.Fatalf("%s has mode %o, want %o", filepath.Base(path), got, want)
	}
}

func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	c := MustCreateCircle(t, s, guildA, "Grief", withCapacity(25, 25))

	// A writer keeps joining people while the backup runs.
	var (
		wg     sync.WaitGroup
		stop   atomic.Bool
		joined atomic.Int64
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load() && i < 5000; i++ {
			if _, err := s.Join(ctx, joinReq(c, user(i), circles.ModeMember), t0); err != nil {
				t.Errorf("join during backup: %v", err)
				return
			}
			joined.Add(1)
		}
	}()
	for joined.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	to := filepath.Join(t.TempDir(), "backup.db")
	err := s.Backup(ctx, to)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	wantMode(t, to, 0o600)

	b := mustOpenPath(t, to)
	got, err := b.CircleByName(ctx, guildA, "grief")
	if err != nil || got.ID != c.ID {
		t.Fatalf("backup circle = %+v, %v", got, err)
	}
	n := count(t, b, `SELECT COUNT(*) FROM memberships`)
	if n < 20 || int64(n) > joined.Load() {
		t.Fatalf("backup has %d memberships; %d had joined when it ended", n, joined.Load())
	}
	if v, _ := b.Version(); v < 1 {
		t.Fatalf("backup version %d", v)
	}

	// An existing file is never overwritten.
	if err := os.WriteFile(to+".keep", []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, to+".keep"); err == nil {
		t.Fatal("Backup overwrote an existing file")
	}
	if b, _ := os.ReadFile(to + ".keep"); string(b) != "precious" {
		t.Fatalf("existing file changed to %q", b)
	}
	if err := s.Backup(ctx, to); err == nil {
		t.Fatal("Backup overwrote an existing backup")
	}
}

func TestOpenRefusesNonFilePaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

// Odd characters in the path must not be taken for URI syntax.
func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?#% name.db")
	s := mustOpenPath(t, path)
	MustCreateCircle(t, s, guildA, "Grief")
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at %q: %v", path, err)
	}
}

// The connections are set up as the package promises: WAL, foreign keys and
// a busy timeout on both pools, one writer connection, a read pool that
// can't write.
func TestConnectionSettings(t *testing.T) {
	s := MustOpen(t)
	for _, p := range []struct {
		name string
		db   *sql.DB
	}{{"writer", s.w}, {"reader", s.r}} {
		var mode string
		var fk, busy int
		if err := p.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("%s: journal_mode %q, %v; want wal", p.name, mode, err)
		}
		if err := p.db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Errorf("%s: foreign_keys %d, %v; want 1", p.name, fk, err)
		}
		if err := p.db.QueryRow(`PRAGMA busy_timeout`).Scan(&busy); err != nil || busy <= 0 {
			t.Errorf("%s: busy_timeout %d, %v; want > 0", p.name, busy, err)
		}
	}
	if n := s.w.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool allows %d connections, want 1", n)
	}
	if n := s.r.Stats().MaxOpenConnections; n < 2 {
		t.Errorf("read pool allows %d connections, want several", n)
	}
	before := count(t, s, `SELECT value FROM sequences WHERE name = 'waitlist'`)
	if _, err := s.r.Exec(`UPDATE sequences SET value = value + 1`); err == nil {
		t.Error("the read pool wrote")
	}
	err := s.read(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE sequences SET value = value + 1`)
		return err
	})
	if err == nil {
		t.Error("a read transaction wrote")
	}
	if after := count(t, s, `SELECT value FROM sequences WHERE name = 'waitlist'`); after != before {
		t.Errorf("sequence moved from %d to %d through the read pool", before, after)
	}
}

// migrationsPlus is the embedded migrations plus one more, numbered next.
func migrationsPlus(tb testing.TB, name, sql string) (fs.FS, int) {
	tb.Helper()
	ms, err := migrations(migrationFS)
	if err != nil {
		tb.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, x := range ms {
		m["migrations/"+x.name+".sql"] = &fstest.MapFile{Data: []byte(x.sql)}
	}
	next := len(ms) + 1
	m[fmt.Sprintf("migrations/%04d_%s.sql", next, name)] = &fstest.MapFile{Data: []byte(sql)}
	return m, next
}

// openWriter opens a connection configured like the store's writer.
func openWriter(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", dsn(path, writerParams))
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	return db
}

// A migration that fails halfway leaves no trace: no partial schema, no
// record, and the earlier migrations stay applied.
func TestFailedMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	fsys, n := migrationsPlus(t, "half_done", `CREATE TABLE half_done (x INTEGER);
		INSERT INTO no_such_table VALUES (1);`)
	db := openWriter(t, filepath.Join(t.TempDir(), "circlebot.db"))
	err := migrate(ctx, db, fsys, circles.NewManualClock(t0))
	if err == nil || !strings.Contains(err.Error(), "half_done") {
		t.Fatalf("migrate = %v, want an error naming the failed migration", err)
	}
	var tables, recorded, newest int
	db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'`).Scan(&tables)
	db.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, n).Scan(&recorded)
	db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&newest)
	if tables != 0 || recorded != 0 {
		t.Errorf("the failed migration left %d tables and %d records", tables, recorded)
	}
	if newest != n-1 {
		t.Errorf("schema at %d after the failure, want the %d earlier migrations kept", newest, n-1)
	}
}

// A database written by a newer build is refused, not run against a schema
// this build does not know.
func TestOpenRefusesANewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "circlebot.db")
	fsys, n := migrationsPlus(t, "from_the_future", `CREATE TABLE future (x INTEGER);`)
	db := openWriter(t, path)
	if err := migrate(ctx, db, fsys, circles.NewManualClock(t0)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err == nil {
		s.Close()
		t.Fatal("Open accepted a database with a newer schema")
	}
	want := fmt.Sprintf("this database was written by a newer circlebot (schema %d; this build knows up to %d): upgrade circlebot or restore a backup", n, n-1)
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("Open = %v\nwant it to say %q", err, want)
	}
}
