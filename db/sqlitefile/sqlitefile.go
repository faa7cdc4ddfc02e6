// Package sqlitefile holds what the two SQLite stores (the app database on mattn/go-sqlite3,
// the task hub on modernc.org/sqlite) check the same way: a DSN's file, a file's integrity, and
// SQLite's "disk full" and "busy" answers. It links no SQLite itself: each store opens its files with its own copy.
package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ErrDamaged is what Check answers for a file that is no sound store.
var ErrDamaged = errors.New("damaged")

// Check runs PRAGMA integrity_check on db and looks for table, the one a store of its kind
// holds (what names the kind in the error).
func Check(ctx context.Context, db *sql.DB, table, what string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("%w: %v", ErrDamaged, err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if len(problems) > 0 {
		if len(problems) > 3 {
			problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
		}
		return fmt.Errorf("%w: integrity_check: %s", ErrDamaged, strings.Join(problems, "; "))
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil {
		return fmt.Errorf("%w: %v", ErrDamaged, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: no %s table: not %s", ErrDamaged, table, what)
	}
	return nil
}

// SplitDSN parts a SQLite DSN — a file path or a file: URI, with options after "?" — into the
// file's path and the options.
func SplitDSN(dsn string) (path, query string) {
	path, query, _ = strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return path, query
}

// SQLite's primary result codes this package tests for.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
	sqliteFull   = 13
)

// primaryCode is the primary result code an error of modernc.org/sqlite carries (its
// *sqlite.Error has Code), or -1.
func primaryCode(err error) int {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code() & 0xff
	}
	return -1
}

// IsBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED, a write lock held past
// the busy timeout, by its code or its message ("database is locked", "database table is
// locked"), as IsFull does.
func IsBusy(err error) bool {
	if err == nil {
		return false
	}
	if c := primaryCode(err); c == sqliteBusy || c == sqliteLocked {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "database table is locked")
}

// IsFull reports whether err is SQLite's SQLITE_FULL, "database or disk is full", by its code
// (modernc's *sqlite.Error has Code) or its message (the engine sometimes wraps it with %v).
func IsFull(err error) bool {
	if err == nil {
		return false
	}
	return primaryCode(err) == sqliteFull || strings.Contains(err.Error(), "database or disk is full")
}
