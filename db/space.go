package db

import (
	"fmt"
	"path/filepath"
	"strings"

	"membership/db/sqlitefile"
)

// MinFreeBytes is the free space below which CheckSpace calls a store's disk full: SQLite
// needs room for a transaction's pages in the WAL, and a few hundred KiB is what one member's
// change or one campaign batch takes at most.
const MinFreeBytes = 1 << 20

// CheckSpace reports, for /readyz, whether the folders of the given SQLite stores (file paths
// or file: DSNs; others are skipped) have MinFreeBytes free. A full disk answers an error
// wrapping ErrDiskFull that names the folder and what is left, so that monitoring says why
// changes are refused (507) while reads still work.
func CheckSpace(dsns ...string) error {
	seen := map[string]bool{}
	for _, dsn := range dsns {
		path, _ := sqlitefile.SplitDSN(dsn)
		if path == "" || path == ":memory:" || strings.Contains(path, "://") {
			continue
		}
		dir := filepath.Dir(path)
		if seen[dir] {
			continue
		}
		seen[dir] = true
		free, err := freeBytes(dir)
		if err != nil {
			return err
		}
		if free < MinFreeBytes {
			return fmt.Errorf("%w: %d KiB free in %s", ErrDiskFull, free>>10, dir)
		}
	}
	return nil
}
