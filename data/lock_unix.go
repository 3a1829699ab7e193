//go:build unix

package data

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes a lock on the file beside the database (path-lock),
// shared or exclusive, without waiting: every open Store holds it shared
// for its life, and Restore exclusive, so a restore never swaps the file
// under a running bot. The lock is flock(2) on a file of its own, never on
// the database, whose POSIX locks SQLite owns (closing any descriptor of
// the database would drop them).
func lockFile(path string, exclusive bool) (*os.File, error) {
	f, err := os.OpenFile(lockPath(path), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &PathError{Path: path, Err: unwrapPath(err), op: "dir"}
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}
