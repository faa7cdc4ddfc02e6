//go:build unix

package db

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// freeBytes is the space an unprivileged process may still write in dir's filesystem.
func freeBytes(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space in %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
