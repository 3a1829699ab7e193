//go:build unix

package data

import "syscall"

// writable reports, as access(2) does, why this process can't write the
// file or directory at path, or nil if it can.
func writable(path string) error {
	const wOK = 0x2 // W_OK
	return syscall.Access(path, wOK)
}
