//go:build !unix

package bot

import (
	"errors"
	"time"
)

// reserveInFile needs flock, which this system lacks: processes of one bot
// here pace their IDENTIFYs each on its own.
func reserveInFile(string, int, time.Time, time.Duration, bool) (time.Time, bool, error) {
	return time.Time{}, false, errors.New("no flock on this system")
}
