package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/circlebot/circlebot/circles"
)

var _ circles.Store = (*Store)(nil)

// Store is circlebot's SQLite database. It is safe for concurrent use.
type Store struct {
	path string
	w    *sql.DB // exactly one connection: SQLite has one writer at a time anyway
	r    *sql.DB // read-only pool
	// pages keeps the circle pages this process read while the database
	// is unchanged (page_cache.go).
	pages *pageCache
	// clock stamps the few writes whose method has no time parameter
	// (promotions caused by UpdateCircle, applied migrations).
	clock circles.Clock
	// statements counts the SQL statements run on w and r (Statements).
	statements atomic.Int64
	// lock is held shared while the store is open, so that Restore can
	// tell the database is in use (lockFile).
	lock *os.File
}

// Option configures Open.
type Option func(*Store)

// WithClock makes the store take the times it stamps on its own from c
// instead of the system clock, as everything else in circlebot does.
func WithClock(c circles.Clock) Option {
	return func(s *Store) { s.clock = c }
}

// Connection parameters. The statement cache keeps each connection's
// prepared statements: preparing was half the cost of a Join.
const (
	writerParams = "_txlock=immediate&_foreign_keys=on&_busy_timeout=5000&_journal_mode=WAL&_synchronous=NORMAL&_stmt_cache_size=64"
	readerParams = "mode=ro&_foreign_keys=on&_busy_timeout=5000&_query_only=on&_stmt_cache_size=64"
)

// Open opens (creating if needed) the database at path, brings its schema up
// to date and returns the store. The file is created with mode 0600, and an
// existing file readable by others is tightened to 0600: it holds who is in
// which support circle. Before any of that, Open reads what is at path and
// refuses, untouched, a file that isn't circlebot's (a PathError wrapping
// ErrNotCircleBot), a database written by a newer circlebot, and a
// database that it, or SQLite's -wal and -shm files beside it, couldn't
// write (a PathError).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("data: open: want a plain file path, got %q", path)
	}
	// Nothing writes before the file is known to be circlebot's and not
	// newer than this build: not the journal mode, not a table, not the
	// file mode.
	if err := checkPath(ctx, path); err != nil {
		return nil, err
	}
	if err := securePath(path); err != nil {
		return nil, err
	}
	lock, err := lockFile(path, false)
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("data: open %s: a restore of this database is under way; start circlebot again when it has finished", path)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, clock: circles.SystemClock{}, lock: lock}
	for _, o := range opts {
		o(s)
	}
	s.w = sql.OpenDB(countingConnector{dsn: dsn(path, writerParams), n: &s.statements})
	// One writer connection, kept open for the life of the store: it also
	// keeps the -wal and -shm files in place, which the read-only pool needs.
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := pingWriter(ctx, s.w); err != nil {
		s.Close()
		return nil, fmt.Errorf("data: open %s: %w", path, err)
	}
	if err := migrate(ctx, s.w, migrationFS, s.clock); err != nil {
		s.Close()
		return nil, fmt.Errorf("data: migrate %s: %w", path, err)
	}
	// The WAL and shared-memory files take their mode from the database file,
	// so they are 0600 too.
	s.r = sql.OpenDB(countingConnector{dsn: dsn(path, readerParams), n: &s.statements})
	// Readers never wait for the writer in WAL mode; the cap only bounds
	// memory (each connection has its own page cache).
	s.r.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)))
	s.r.SetMaxIdleConns(4)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("data: open %s read-only: %w", path, err)
	}
	s.pages = newPageCache(sql.OpenDB(countingConnector{dsn: dsn(path, readerParams), n: &s.statements}))
	return s, nil
}

// pingWriter opens the writer connection. Its first statement switches a
// new database to WAL, which needs the file to itself: when two processes
// open a new database at the same moment, both may want it, and SQLite
// answers one of them SQLITE_BUSY at once instead of waiting (the wait
// would deadlock). That one tries again, a moment later: by then the file
// is in WAL mode, where switching is a no-op and processes share the file.
func pingWriter(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(5 * time.Second) // as busy_timeout
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err := db.PingContext(ctx)
		var se sqlite3.Error
		if !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// PathError is Open's error when the database can't be created or opened
// at the path it was given (its directory is missing, it is a directory,
// it isn't writable, the file there isn't circlebot's): a problem with the
// setting, not with a database.
type PathError struct {
	Path string
	Err  error // the cause, such as fs.ErrNotExist or ErrNotCircleBot
	// What failed: "" creating the file, "read" reading it, "write"
	// writing it, "dir" writing in its directory.
	op string
}

func (e *PathError) Error() string { return "data: " + e.Path + ": " + e.Problem() }

func (e *PathError) Unwrap() error { return e.Err }

// Problem says what is wrong and what to do, without naming the path.
func (e *PathError) Problem() string {
	if errors.Is(e.Err, ErrNotCircleBot) {
		return "is " + e.Err.Error() + "; it was left untouched: point data.path at circlebot's database, or at a new file"
	}
	if e.op == "read" {
		s := "cannot read the database: " + e.Err.Error()
		if errors.Is(e.Err, fs.ErrPermission) {
			s += "; the user running circlebot needs to be able to read and write the file"
		}
		return s
	}
	if e.op == "write" {
		return "cannot write the database: " + e.Err.Error() + "; the user running circlebot needs write access to the file"
	}
	if e.op == "dir" {
		dir := filepath.Dir(e.Path)
		return "cannot write in the database's directory " + dir + ": " + e.Err.Error() +
			"; the user running circlebot needs write access to the directory " + dir +
			", where SQLite keeps the database's -wal and -shm files"
	}
	s := "cannot create the database: " + e.Err.Error()
	switch {
	case errors.Is(e.Err, syscall.EISDIR):
		s += "; give a file name inside it, like " + filepath.Join(e.Path, "circlebot.db")
	case errors.Is(e.Err, fs.ErrNotExist):
		s += "; create the directory " + filepath.Dir(e.Path) + " first"
	case errors.Is(e.Err, fs.ErrPermission):
		s += "; the user running circlebot needs to be able to write the file and its directory"
	}
	return s
}

// securePath creates the database file with mode 0600 before SQLite sees it
// (SQLite would create it with 0644 under the usual umask) and tightens an
// existing file that others can read, along with WAL and shared-memory files
// left by an earlier run, which hold the same data.
func securePath(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return &PathError{Path: path, Err: unwrapPath(err)}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("data: create %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && fi.Mode().Perm()&0o077 != 0 {
			err = os.Chmod(p, fi.Mode().Perm()&0o700)
		}
		if err != nil {
			return fmt.Errorf("data: secure %s: %w", p, err)
		}
	}
	return nil
}

// dsn builds a go-sqlite3 URI. Characters that would end the path part of the
// URI early are escaped; SQLite decodes them again.
func dsn(path, params string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(path) + "?" + params
}

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.pages != nil {
		errs = append(errs, s.pages.close(), s.pages.db.Close())
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close()) // after SQLite's last connection
		s.lock = nil
	}
	return errors.Join(errs...)
}

// Version returns the number of the last migration applied.
func (s *Store) Version() (int, error) {
	var v sql.NullInt64
	if err := s.r.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("data: version: %w", err)
	}
	return int(v.Int64), nil
}

// callerError carries an error returned by a caller's callback (UpdateCircle,
// UpdateSession) through the transaction helpers unchanged: the contract says
// the method aborts "with that error".
type callerError struct{ err error }

func (e callerError) Error() string { return e.err.Error() }

// write runs fn in one IMMEDIATE transaction on the writer connection. The
// write lock is taken at BEGIN, so the state fn reads cannot change before
// it writes: this is what makes check-then-write rules (seats, waitlist
// order) hold under concurrency.
//
// A write that has begun is not cut short by its caller's context: the
// context is checked once, before BEGIN, and the transaction then runs to
// its commit or rollback. go-sqlite3 interrupts a statement whose context
// ends, and an interrupted BEGIN can still leave the one writer connection
// inside a transaction (mattn/go-sqlite3#764), which would refuse every
// later write. Writes are short; a waiting BEGIN is bounded by busy_timeout.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return circles.Internal(fmt.Errorf("begin: %w", err))
	}
	return runTx(context.WithoutCancel(ctx), s.w, fn)
}

// read runs fn in one transaction on the read-only pool, so a method sees one
// consistent snapshot even when it runs several queries.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return runTx(ctx, s.r, fn)
}

func runTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return circles.Internal(fmt.Errorf("begin: %w", err))
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	defer func() {
		// A panic in a caller's callback must not leave the only writer
		// connection inside an open transaction.
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		return classify(err)
	}
	if err := tx.Commit(); err != nil {
		return circles.Internal(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// classify turns what a transaction returned into the contract's errors:
// domain errors and callback errors pass through, everything else is
// internal (its text is logged, never shown).
func classify(err error) error {
	var ce callerError
	if errors.As(err, &ce) {
		return ce.err
	}
	var de *circles.Error
	if errors.As(err, &de) {
		return de
	}
	return circles.Internal(err)
}

// isUnique reports whether err is a UNIQUE violation on an index or table
// whose message mentions all of cols (e.g. "circles.guild_id").
func isUnique(err error, cols ...string) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) || se.ExtendedCode != sqlite3.ErrConstraintUnique {
		return false
	}
	for _, c := range cols {
		if !strings.Contains(se.Error(), c) {
			return false
		}
	}
	return true
}

// ms converts a time to the stored form: unix milliseconds in UTC, NULL for
// the zero time.
func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS converts a stored time back; NULL becomes the zero time.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// roundMS is what a time looks like after a round trip through the store.
func roundMS(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
