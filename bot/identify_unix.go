//go:build unix

package bot

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// reserveInFile takes bucket's next IDENTIFY turn in a file shared by the
// processes of one bot on a host: under an exclusive flock, it reads when
// the bucket is next free (8 bytes at bucket*8, Unix nanoseconds, little
// endian; none yet is now), and writes that moment plus gap back. The lock
// is held for the read and the write only; waiting for the turn is the
// caller's. With ifFree, a turn that isn't free now is not taken (ok
// false). The times are the host's wall clock, which all its processes
// share.
func reserveInFile(path string, bucket int, now time.Time, gap time.Duration, ifFree bool) (at time.Time, ok bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return at, false, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return at, false, fmt.Errorf("locking: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	var slot [8]byte
	off := int64(bucket) * 8
	if _, err := f.ReadAt(slot[:], off); err != nil && err != io.EOF {
		return at, false, err
	}
	at = now
	if next := time.Unix(0, int64(binary.LittleEndian.Uint64(slot[:]))); next.After(at) {
		if ifFree {
			return next, false, nil
		}
		at = next
	}
	binary.LittleEndian.PutUint64(slot[:], uint64(at.Add(gap).UnixNano()))
	if _, err := f.WriteAt(slot[:], off); err != nil {
		return at, false, err
	}
	return at, true, nil
}
