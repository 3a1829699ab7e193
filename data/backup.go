package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Backup writes a consistent copy of the database to the new file to, while
// the bot keeps running: VACUUM INTO reads one snapshot through a read-only
// connection, so writers are not blocked and the copy is compact. An
// existing file is never overwritten. The copy is 0600 like the original;
// it is created empty with that mode first, so it is never readable by
// others, not even for a moment.
func (s *Store) Backup(ctx context.Context, to string) error {
	return backup(ctx, s.path, to, liveParams)
}

// BackupFile writes a consistent copy of the circlebot database at path to
// the new file to, as Store.Backup does, without opening a Store: the
// database is only read, never migrated or otherwise changed, so one from
// an older circlebot is copied at its version, and one from a newer
// circlebot is copied too. A file that isn't circlebot's is refused with a
// PathError wrapping ErrNotCircleBot.
func BackupFile(ctx context.Context, path, to string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return &PathError{Path: path, Err: unwrapPath(err), op: "read"}
	}
	if fi.IsDir() {
		return &PathError{Path: path, Err: syscall.EISDIR, op: "read"}
	}
	f, err := inspect(ctx, path)
	if err != nil {
		return err
	}
	if why := f.foreign(); why != "" {
		return &PathError{Path: path, Err: fmt.Errorf("%w: %s", ErrNotCircleBot, why)}
	}
	return backup(ctx, path, to, liveParams)
}

// liveParams read a database that a bot may be writing.
const liveParams = "mode=ro&_busy_timeout=5000"

// readOnlyParams read a database nobody writes (a backup) without
// creating anything beside it: a read-only connection to a WAL database
// creates missing -wal and -shm files and leaves them behind, and with no
// -wal file the main file holds every committed transaction, so it is read
// as immutable.
func readOnlyParams(path string) string {
	if _, err := os.Lstat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		return "mode=ro&immutable=1"
	}
	return liveParams
}

// backup copies the database at path, opened with params, to the new
// file to.
func backup(ctx context.Context, path, to, params string) (err error) {
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("data: backup: %s already exists; choose a new file name", to)
	}
	if err != nil {
		return fmt.Errorf("data: backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("data: backup: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(to) // only the file this call created
		}
	}()
	// The read pool's query_only pragma forbids VACUUM INTO, so the copy
	// is made by its own read-only connection. SQLite accepts an existing
	// empty file as the target.
	db, err := sql.Open("sqlite3", dsn(path, params))
	if err != nil {
		return fmt.Errorf("data: backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		return fmt.Errorf("data: backup to %s: %w", to, err)
	}
	if err := os.Chmod(to, 0o600); err != nil {
		return fmt.Errorf("data: backup: %w", err)
	}
	return nil
}
