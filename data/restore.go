package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrInUse is Restore's error while a circlebot (any open Store) holds the
// database.
var ErrInUse = errors.New("the database is in use by a running circlebot")

// errLocked is lockFile's: someone else holds the lock.
var errLocked = errors.New("locked")

// lockPath is the lock file beside the database at path.
func lockPath(path string) string { return path + "-lock" }

// Restored says what Restore did.
type Restored struct {
	Version int    // the schema version of the restored database
	Aside   string // where the database that was there is now; "" if there was none
}

// Restore puts a copy of the circlebot database backup at from in place of
// the database at path. It refuses, changing nothing, while any Store has
// the database open (ErrInUse; stop the bot first), a backup that isn't
// circlebot's, one that fails SQLite's integrity check, and one written by
// a newer circlebot than this build (an older one is fine: the next Open
// migrates it). The database that was at path, with its -wal and -shm
// files, is renamed to path.before-restore-TIME (now, UTC), never deleted;
// the new file is 0600. The backup itself is only read.
func Restore(ctx context.Context, path, from string, now time.Time) (Restored, error) {
	lock, err := lockFile(path, true)
	if errors.Is(err, errLocked) {
		return Restored{}, ErrInUse
	}
	if err != nil {
		return Restored{}, err
	}
	if lock != nil {
		defer lock.Close()
	}
	version, err := checkBackup(ctx, from)
	if err != nil {
		return Restored{}, err
	}
	// The copy is made and checked beside the database, then renamed over
	// it: the database is never half written.
	tmp := path + ".restoring"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Restored{}, fmt.Errorf("data: restore: %w", err) // left by a restore that crashed
	}
	if err := backup(ctx, from, tmp, readOnlyParams(from)); err != nil {
		return Restored{}, fmt.Errorf("data: restore: copying the backup: %w", err)
	}
	if err := integrity(ctx, tmp); err != nil {
		os.Remove(tmp)
		return Restored{}, fmt.Errorf("data: restore: the copy of %s: %w", from, err)
	}
	aside, err := moveAside(path, now)
	if err != nil {
		os.Remove(tmp)
		return Restored{}, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return Restored{Aside: aside}, fmt.Errorf("data: restore: %w (the old database is at %s)", err, aside)
	}
	syncDir(filepath.Dir(path))
	return Restored{Version: version, Aside: aside}, nil
}

// checkBackup refuses a backup Restore must not put in place, and returns
// its schema version.
func checkBackup(ctx context.Context, from string) (int, error) {
	fi, err := os.Stat(from)
	if err != nil {
		return 0, fmt.Errorf("data: restore: the backup %s: %w", from, unwrapPath(err))
	}
	if fi.IsDir() {
		return 0, fmt.Errorf("data: restore: the backup %s is a directory; give the backup file", from)
	}
	f, err := inspect(ctx, from)
	if err != nil {
		return 0, fmt.Errorf("data: restore: the backup %s: %w", from, err)
	}
	if why := f.foreign(); why != "" {
		return 0, fmt.Errorf("data: restore: the backup %s %w: %s", from, ErrNotCircleBot, why)
	}
	if !f.ours {
		return 0, fmt.Errorf("data: restore: the backup %s is empty: it holds no circlebot database", from)
	}
	ms, err := migrations(migrationFS)
	if err != nil {
		return 0, fmt.Errorf("data: %w", err)
	}
	if f.version > len(ms) {
		return 0, fmt.Errorf("data: restore: the backup %s: %w", from, newerSchema(f.version, len(ms)))
	}
	if err := integrity(ctx, from); err != nil {
		return 0, fmt.Errorf("data: restore: the backup %s: %w", from, err)
	}
	return f.version, nil
}

// integrity runs SQLite's integrity and foreign key checks on the database
// at path, read only.
func integrity(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite3", dsn(path, readOnlyParams(path)))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("is damaged: %w", err)
	}
	var problems []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return fmt.Errorf("is damaged: %w", err)
		}
		if p != "ok" {
			problems = append(problems, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("is damaged: %w", err)
	}
	if len(problems) > 0 {
		if len(problems) > 3 {
			problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
		}
		return fmt.Errorf("is damaged (SQLite's integrity check: %s)", strings.Join(problems, "; "))
	}
	var table string
	var rowid sql.NullInt64
	var parent string
	var fkid int
	err = db.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&table, &rowid, &parent, &fkid)
	if err == nil {
		return fmt.Errorf("is damaged: a row of %s points at a missing row of %s", table, parent)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("is damaged: %w", err)
	}
	return nil
}

// moveAside renames the database at path, and its -wal and -shm files,
// to path.before-restore-TIME (with -wal and -shm), so SQLite opens the
// old database whole from there. It returns the new name, "" when there
// was no database.
func moveAside(path string, now time.Time) (string, error) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	aside := path + ".before-restore-" + now.UTC().Format("20060102T150405Z")
	for n := 2; ; n++ {
		if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s.before-restore-%s-%d", path, now.UTC().Format("20060102T150405Z"), n)
	}
	// The side files first: a database whose -wal went missing would lose
	// what it holds.
	for _, suffix := range []string{"-wal", "-shm", ""} {
		err := os.Rename(path+suffix, aside+suffix)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("data: restore: keeping the old database aside: %w", err)
		}
	}
	return aside, nil
}

// syncDir makes the renames in dir durable; a failure only loses that.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
