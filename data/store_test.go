package data

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
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
