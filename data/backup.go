package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Backup writes a consistent copy of the database to the new file to, while
// the bot keeps running: VACUUM INTO reads one snapshot through a read-only
// connection, so writers are not blocked and the copy is compact. An
// existing file is never overwritten. The copy is 0600 like the original;
// it is created empty with that mode first, so it is never readable by
// others, not even for a moment.
func (s *Store) Backup(ctx context.Context, to string) (err error) {
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
	db, err := sql.Open("sqlite3", dsn(s.path, "mode=ro&_busy_timeout=5000"))
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
