package data

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// ErrNotCircleBot is in the PathError of a file that is not a circlebot
// database: not SQLite at all, or a SQLite database with tables but no
// schema_migrations. It is refused untouched.
var ErrNotCircleBot = errors.New("not a circlebot database")

// found is what is at a database path, learnt without writing anything.
type found struct {
	exists  bool     // a file is there (not a directory)
	empty   bool     // it has no bytes at all
	sqlite  bool     // it starts with SQLite's header (an empty file doesn't)
	wal     bool     // the header says WAL mode
	objects []string // its tables, indexes, views and triggers, SQLite's own left out
	ours    bool     // it has a schema_migrations table
	version int      // MAX(version) in schema_migrations
	// Why the file, and its directory, can't be written (nil if they can):
	// SQLite creates the -wal and -shm files beside the database.
	fileErr, dirErr error
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// inspect looks at the database at path without changing it or creating
// anything beside it. Nothing there, or a directory, is found{}: creating
// the file reports what is wrong with such a path.
func inspect(ctx context.Context, path string) (found, error) {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return found{}, nil
	}
	f := found{exists: true, fileErr: writable(path), dirErr: writable(filepath.Dir(path))}
	header := make([]byte, 100)
	n, err := readHeader(path, header)
	if err != nil {
		return f, &PathError{Path: path, Err: err, op: "read"}
	}
	if n == 0 {
		f.empty = true
		return f, nil
	}
	if n < len(header) || !bytes.HasPrefix(header, []byte(sqliteMagic)) {
		return f, nil
	}
	f.sqlite = true
	f.wal = header[18] == 2 && header[19] == 2

	// A read-only connection to a WAL database creates the -wal and -shm
	// files when they are missing and leaves them behind. With no -wal
	// file the main file holds every committed transaction, so it is read
	// as immutable, which creates nothing.
	params := "mode=ro&_busy_timeout=5000"
	if _, err := os.Lstat(path + "-wal"); f.wal && errors.Is(err, fs.ErrNotExist) {
		params = "mode=ro&immutable=1"
	}
	db, err := sql.Open("sqlite3", dsn(path, params))
	if err != nil {
		return f, fmt.Errorf("data: open %s read-only: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		var se sqlite3.Error
		if errors.As(err, &se) && se.Code == sqlite3.ErrNotADB {
			f.sqlite = false
			return f, nil
		}
		return f, fmt.Errorf("data: read %s: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return f, fmt.Errorf("data: read %s: %w", path, err)
		}
		f.objects = append(f.objects, name)
		if name == "schema_migrations" {
			f.ours = true
		}
	}
	if err := rows.Err(); err != nil {
		return f, fmt.Errorf("data: read %s: %w", path, err)
	}
	if f.ours {
		var v sql.NullInt64
		if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
			return f, fmt.Errorf("data: read %s: %w", path, err)
		}
		f.version = int(v.Int64)
	}
	return f, nil
}

// readHeader reads up to len(buf) bytes from the start of the file.
func readHeader(path string, buf []byte) (int, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, unwrapPath(err)
	}
	defer file.Close()
	n, err := io.ReadFull(file, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, unwrapPath(err)
}

// foreign says why f is not a circlebot database, or "" if it is one or
// is empty (an empty file, or a SQLite database with nothing in it, is a
// database to set up).
func (f found) foreign() string {
	switch {
	case !f.exists || f.empty || f.ours:
		return ""
	case !f.sqlite:
		return "it is not a SQLite database"
	case len(f.objects) == 0:
		return ""
	}
	names := f.objects
	more := ""
	if len(names) > 3 {
		more = fmt.Sprintf(" and %d more", len(names)-3)
		names = names[:3]
	}
	return "it has " + strings.Join(names, ", ") + more + " but no schema_migrations table"
}

// refuse decides whether Open may go on with the database f found at path,
// given the number of migrations this build knows. It says no to a file
// that isn't circlebot's, to a database written by a newer circlebot, and
// to one it couldn't write, before anything has written to them.
func (f found) refuse(path string, known int) error {
	if why := f.foreign(); why != "" {
		return &PathError{Path: path, Err: fmt.Errorf("%w: %s", ErrNotCircleBot, why)}
	}
	if f.version > known {
		return fmt.Errorf("data: open %s: %w", path, newerSchema(f.version, known))
	}
	if f.fileErr != nil {
		return &PathError{Path: path, Err: f.fileErr, op: "write"}
	}
	if f.dirErr != nil {
		return &PathError{Path: path, Err: f.dirErr, op: "dir"}
	}
	return nil
}

// newerSchema is the error for a database that records migrations this
// build doesn't have.
func newerSchema(version, known int) error {
	return fmt.Errorf("this database was written by a newer circlebot (schema %d; this build knows up to %d): upgrade circlebot or restore a backup",
		version, known)
}

// unwrapPath drops an *fs.PathError's path: PathError names it already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkPath refuses, untouched, what Open must not write to: a file that
// isn't circlebot's database, or one written by a newer circlebot.
func checkPath(ctx context.Context, path string) error {
	ms, err := migrations(migrationFS)
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	f, err := inspect(ctx, path)
	if err != nil {
		return err
	}
	return f.refuse(path, len(ms))
}
