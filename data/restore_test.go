package data

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/circlebot/circlebot/circles"
)

// restoreFixture makes a database with one circle and a backup of it,
// then a second circle that only the live database has.
func restoreFixture(t *testing.T) (path, backupPath string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "circlebot.db")
	s, err := Open(context.Background(), path, WithClock(circles.NewManualClock(t0)))
	if err != nil {
		t.Fatal(err)
	}
	MustCreateCircle(t, s, guildA, "Grief circle")
	backupPath = filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(context.Background(), backupPath); err != nil {
		t.Fatal(err)
	}
	MustCreateCircle(t, s, guildA, "After the backup")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, backupPath
}

func circleNames(t *testing.T, path string) []string {
	t.Helper()
	s, err := Open(context.Background(), path, WithClock(circles.NewManualClock(t0)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var names []string
	rows, err := s.r.Query(`SELECT name FROM circles ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return names
}

// A backup restores: the database is the backup's again, the one that was
// there is kept aside whole, and the backup file is left as it was.
func TestRestore(t *testing.T) {
	t.Parallel()
	path, backupPath := restoreFixture(t)
	before, _ := os.ReadFile(backupPath)
	r, err := Restore(context.Background(), path, backupPath, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version == 0 || r.Aside != path+".before-restore-20261102T120000Z" {
		t.Errorf("Restore = %+v", r)
	}
	wantMode(t, path, 0o600)
	if got := circleNames(t, path); len(got) != 1 || got[0] != "Grief circle" {
		t.Errorf("restored circles %v, want the backup's [Grief circle]", got)
	}
	if got := circleNames(t, r.Aside); len(got) != 2 {
		t.Errorf("the database kept aside has circles %v, want both", got)
	}
	after, _ := os.ReadFile(backupPath)
	if string(before) != string(after) {
		t.Error("restoring changed the backup file")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(backupPath), "*")); len(left) != 1 {
		t.Errorf("files beside the backup: %v, want only the backup", left)
	}
	if _, err := os.Stat(path + ".restoring"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the working copy was left behind: %v", err)
	}

	// A second restore the same second keeps both older databases.
	r2, err := Restore(context.Background(), path, backupPath, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Aside == r.Aside || !strings.HasPrefix(r2.Aside, r.Aside) {
		t.Errorf("second restore put the old database at %q (first at %q)", r2.Aside, r.Aside)
	}
}

// A restore where there is no database yet just puts the backup there.
func TestRestoreOntoNothing(t *testing.T) {
	t.Parallel()
	_, backupPath := restoreFixture(t)
	path := filepath.Join(t.TempDir(), "new.db")
	r, err := Restore(context.Background(), path, backupPath, t0)
	if err != nil || r.Aside != "" {
		t.Fatalf("Restore = %+v, %v", r, err)
	}
	if got := circleNames(t, path); len(got) != 1 {
		t.Errorf("restored circles %v", got)
	}
}

// While a Store has the database open (a running bot), restore refuses
// and changes nothing; a restore under way keeps a bot from starting.
func TestRestoreRefusedWhileOpen(t *testing.T) {
	t.Parallel()
	path, backupPath := restoreFixture(t)
	s := mustOpenPath(t, path)
	if _, err := Restore(context.Background(), path, backupPath, t0); !errors.Is(err, ErrInUse) {
		t.Fatalf("Restore with the database open: %v, want ErrInUse", err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM circles`); n != 2 {
		t.Errorf("%d circles after the refused restore, want 2", n)
	}
	if left, _ := filepath.Glob(path + ".*"); len(left) != 0 {
		t.Errorf("a refused restore left %v", left)
	}

	lock, err := lockFile(path, true) // as Restore holds it
	if err == nil && lock == nil {
		t.Skip("no file locks on this system")
	}
	s.Close()
	lock, err = lockFile(path, true)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "restore") {
		t.Errorf("Open during a restore: %v, want it refused", err)
	}
}

// What can't be restored is refused before anything changes: a damaged
// backup, a newer circlebot's, a file that isn't circlebot's, nothing.
func TestRestoreRefusesBadBackups(t *testing.T) {
	t.Parallel()
	path, good := restoreFixture(t)
	dir := t.TempDir()
	damaged := filepath.Join(dir, "damaged.db")
	b, _ := os.ReadFile(good)
	pageSize := 4096
	for i := pageSize + 100; i < len(b) && i < 3*pageSize; i++ {
		b[i] = 0xA5 // tables' pages, the header left alone
	}
	os.WriteFile(damaged, b, 0o600)

	newer := filepath.Join(dir, "newer.db")
	if err := BackupFile(context.Background(), good, newer); err != nil {
		t.Fatal(err)
	}
	w := openWriter(t, newer)
	if _, err := w.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future', 0)`); err != nil {
		t.Fatal(err)
	}
	w.Close()

	notOurs := filepath.Join(dir, "notes.txt")
	os.WriteFile(notOurs, []byte("hello, this is not a database at all, not even close to one"), 0o600)
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)

	for name, tc := range map[string]struct{ from, want string }{
		"damaged":   {damaged, "damaged"},
		"newer":     {newer, "newer circlebot"},
		"not ours":  {notOurs, "not a circlebot database"},
		"empty":     {empty, "empty"},
		"missing":   {filepath.Join(dir, "nope.db"), "no such file"},
		"directory": {dir, "directory"},
	} {
		_, err := Restore(context.Background(), path, tc.from, t0)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Restore = %v, want an error saying %q", name, err, tc.want)
		}
	}
	if left, _ := filepath.Glob(path + ".*"); len(left) != 0 {
		t.Errorf("refused restores left %v", left)
	}
	if got := circleNames(t, path); len(got) != 2 {
		t.Errorf("the database changed: circles %v", got)
	}
}
