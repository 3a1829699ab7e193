package data

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/circlebot/circlebot/circles"
)

// openRollback opens a connection that leaves the journal mode as SQLite's
// default (delete), as another program, or another circlebot, would.
func openRollback(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", dsn(path, "_foreign_keys=on"))
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	return db
}

// snapshot is what is on disk at path and beside it.
type snapshot struct {
	bytes []byte
	mode  os.FileMode
	side  []string // the database's -wal, -shm and -journal files present
}

func takeSnapshot(tb testing.TB, path string) snapshot {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	s := snapshot{bytes: b, mode: fi.Mode()}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(path + suffix); err == nil {
			s.side = append(s.side, filepath.Base(path+suffix))
		}
	}
	return s
}

// wantUntouched fails unless the file at path is as before: the same bytes,
// the same mode, no new file beside it, and still in journal mode delete
// when it was.
func wantUntouched(tb testing.TB, path string, before snapshot) {
	tb.Helper()
	after := takeSnapshot(tb, path)
	if !bytes.Equal(after.bytes, before.bytes) {
		tb.Errorf("%s changed: %d bytes before, %d after", filepath.Base(path), len(before.bytes), len(after.bytes))
	}
	if after.mode != before.mode {
		tb.Errorf("%s mode changed from %v to %v", filepath.Base(path), before.mode, after.mode)
	}
	if strings.Join(after.side, " ") != strings.Join(before.side, " ") {
		tb.Errorf("beside %s: %q before, %q after", filepath.Base(path), before.side, after.side)
	}
	// Bytes 18 and 19 of the header are 1 in rollback-journal mode, 2 in WAL.
	if len(before.bytes) >= 20 && before.bytes[18] == 1 && len(after.bytes) >= 20 && after.bytes[18] != 1 {
		tb.Errorf("%s left rollback-journal mode", filepath.Base(path))
	}
}

// A database written by a newer circlebot is refused before anything
// writes to it: not switched to WAL, not given a table, not re-moded.
func TestOpenLeavesANewerDatabaseUntouched(t *testing.T) {
	ctx := context.Background()
	for _, wal := range []bool{false, true} {
		name := "rollback journal"
		if wal {
			name = "WAL"
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "circlebot.db")
			fsys, n := migrationsPlus(t, "from_the_future", `CREATE TABLE future (x INTEGER);`)
			db := openRollback(t, path)
			if wal {
				db = openWriter(t, path)
			}
			if err := migrate(ctx, db, fsys, circles.NewManualClock(t0)); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			os.Chmod(path, 0o644) // Open would tighten it if it went on
			before := takeSnapshot(t, path)
			if len(before.side) != 0 {
				t.Fatalf("files beside the database before Open: %q", before.side)
			}

			s, err := Open(ctx, path)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a database with a newer schema")
			}
			if !strings.Contains(err.Error(), "written by a newer circlebot") {
				t.Fatalf("Open = %v, want it to say the database is newer", err)
			}
			wantUntouched(t, path, before)

			var v int
			openRollback(t, path).QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v)
			if v != n {
				t.Errorf("schema %d after the refusal, want %d", v, n)
			}
		})
	}
}

// A SQLite file that isn't circlebot's is refused as it is, not extended
// with circlebot's tables; so is a file that isn't SQLite at all.
func TestOpenRefusesAForeignDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	foreign := filepath.Join(dir, "accounts.db")
	db := openRollback(t, foreign)
	if _, err := db.Exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT);
		INSERT INTO accounts (owner) VALUES ('someone else');`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("not a database\n", 20)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, why string }{
		{foreign, "it has accounts but no schema_migrations table"},
		{text, "it is not a SQLite database"},
	} {
		before := takeSnapshot(t, tc.path)
		s, err := Open(ctx, tc.path)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%s) accepted a database that isn't circlebot's", filepath.Base(tc.path))
		}
		want := tc.path + ": is not a circlebot database: " + tc.why
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v\nwant it to say %q", filepath.Base(tc.path), err, want)
		}
		wantUntouched(t, tc.path, before)
	}
}

// An empty file, or a SQLite database with nothing in it, is one to set up.
func TestOpenInitialisesAnEmptyDatabase(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	blank := filepath.Join(dir, "blank.db")
	db := openRollback(t, blank)
	if _, err := db.Exec(`PRAGMA user_version = 0; VACUUM`); err != nil { // writes a header, no tables
		t.Fatal(err)
	}
	db.Close()
	if fi, err := os.Stat(blank); err != nil || fi.Size() == 0 {
		t.Fatalf("blank database: %v, %v", fi, err)
	}
	for _, p := range []string{empty, blank} {
		s := mustOpenPath(t, p)
		if v, err := s.Version(); err != nil || v < 1 {
			t.Errorf("%s: Version = %d, %v after Open", filepath.Base(p), v, err)
		}
		MustCreateCircle(t, s, guildA, "Grief")
	}
}

// A database Open couldn't write is a PathError saying what access is
// missing, not SQLite's "attempt to write a readonly database" later.
// Root passes access checks, so the decision is tested on its own too.
func TestRefuseUnwritable(t *testing.T) {
	path := filepath.Join("/srv", "circlebot", "circlebot.db")
	ours := found{exists: true, sqlite: true, objects: []string{"schema_migrations"}, ours: true, version: 1}
	if err := ours.refuse(path, 2); err != nil {
		t.Fatalf("refuse(writable, older) = %v", err)
	}
	for _, tc := range []struct {
		name string
		f    found
		want string
	}{
		{"directory", found{exists: true, empty: true, dirErr: syscall.EACCES},
			"cannot write in the database's directory /srv/circlebot: permission denied; the user running circlebot needs write access to the directory /srv/circlebot, where SQLite keeps the database's -wal and -shm files"},
		{"file", found{exists: true, empty: true, fileErr: syscall.EACCES, dirErr: syscall.EACCES},
			"cannot write the database: permission denied; the user running circlebot needs write access to the file"},
	} {
		err := tc.f.refuse(path, 2)
		var pe *PathError
		if !errors.As(err, &pe) || !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("%s: refuse = %v, want a PathError for a permission problem", tc.name, err)
		}
		if got := pe.Problem(); got != tc.want {
			t.Errorf("%s: Problem() = %q\nwant %q", tc.name, got, tc.want)
		}
	}
	// A file that isn't circlebot's is named as such whatever the access.
	foreign := found{exists: true, sqlite: true, objects: []string{"invoices"}, dirErr: syscall.EACCES}
	if err := foreign.refuse(path, 2); !errors.Is(err, ErrNotCircleBot) {
		t.Errorf("refuse(foreign, unwritable) = %v, want ErrNotCircleBot", err)
	}
}

func TestOpenInAnUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write anywhere")
	}
	dir := filepath.Join(t.TempDir(), "locked")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "circlebot.db")
	s := mustOpenPath(t, path)
	MustCreateCircle(t, s, guildA, "Grief")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	s, err := Open(context.Background(), path)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded in a directory it can't write")
	}
	var pe *PathError
	if !errors.As(err, &pe) || !strings.Contains(pe.Problem(), "needs write access to the directory "+dir) {
		t.Fatalf("Open = %v, want a PathError asking for write access to %s", err, dir)
	}
}

// migrationsUpTo is the first n embedded migrations: the schema of an
// older circlebot.
func migrationsUpTo(tb testing.TB, n int) fs.FS {
	tb.Helper()
	ms, err := migrations(migrationFS)
	if err != nil {
		tb.Fatal(err)
	}
	if n >= len(ms) {
		tb.Fatalf("only %d migrations; an older schema needs fewer than that", len(ms))
	}
	m := fstest.MapFS{}
	for _, x := range ms[:n] {
		m["migrations/"+x.name+".sql"] = &fstest.MapFile{Data: []byte(x.sql)}
	}
	return m
}

// schemaVersion reads a database's schema version without Open, which
// would migrate it.
func schemaVersion(tb testing.TB, path string) int {
	tb.Helper()
	f, err := inspect(context.Background(), path)
	if err != nil || !f.ours {
		tb.Fatalf("inspect(%s) = %+v, %v; want a circlebot database", filepath.Base(path), f, err)
	}
	return f.version
}

// A backup copies the database as it is: it never migrates an older one
// and refuses no version, only a file that isn't circlebot's.
func TestBackupFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ms, _ := migrations(migrationFS)

	older := filepath.Join(dir, "older.db") // rollback journal, as older builds never left it
	db := openRollback(t, older)
	if err := migrate(ctx, db, migrationsUpTo(t, 1), circles.NewManualClock(t0)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	newer := filepath.Join(dir, "newer.db") // WAL, as this build leaves it
	fsys, n := migrationsPlus(t, "from_the_future", `CREATE TABLE future (x INTEGER);`)
	db = openWriter(t, newer)
	if err := migrate(ctx, db, fsys, circles.NewManualClock(t0)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	current := filepath.Join(dir, "current.db")
	s := mustOpenPath(t, current)
	MustCreateCircle(t, s, guildA, "Grief")

	for _, tc := range []struct {
		path    string
		version int
	}{{older, 1}, {newer, n}, {current, len(ms)}} {
		before := takeSnapshot(t, tc.path)
		to := filepath.Join(t.TempDir(), "copy.db")
		if err := BackupFile(ctx, tc.path, to); err != nil {
			t.Fatalf("BackupFile(%s): %v", filepath.Base(tc.path), err)
		}
		switch tc.path {
		case older:
			wantUntouched(t, tc.path, before)
		case newer:
			// Reading a WAL database with locks, as a backup must in case
			// a bot starts meanwhile, makes SQLite create the -wal and
			// -shm files it reads through; the database is the same.
			if after := takeSnapshot(t, tc.path); !bytes.Equal(after.bytes, before.bytes) || after.mode != before.mode {
				t.Errorf("BackupFile changed %s", filepath.Base(tc.path))
			}
		}
		if v := schemaVersion(t, tc.path); v != tc.version {
			t.Errorf("%s at schema %d after the backup, want %d", filepath.Base(tc.path), v, tc.version)
		}
		if v := schemaVersion(t, to); v != tc.version {
			t.Errorf("backup of %s at schema %d, want %d", filepath.Base(tc.path), v, tc.version)
		}
		wantMode(t, to, 0o600)
	}

	// Somebody else's database is not circlebot's to back up.
	foreign := filepath.Join(dir, "accounts.db")
	if _, err := openRollback(t, foreign).Exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(t.TempDir(), "copy.db")
	if err := BackupFile(ctx, foreign, to); !errors.Is(err, ErrNotCircleBot) {
		t.Errorf("BackupFile(foreign) = %v, want ErrNotCircleBot", err)
	}
	if _, err := os.Stat(to); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused backup left a file behind: %v", err)
	}
}
