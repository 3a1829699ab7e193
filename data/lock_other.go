//go:build !unix

package data

import "os"

// lockFile does nothing where there is no flock(2): Restore can't tell
// there whether a bot holds the database, so stop the bot first.
func lockFile(path string, exclusive bool) (*os.File, error) { return nil, nil }
