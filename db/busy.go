package db

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/mattn/go-sqlite3"

	"membership/db/sqlitefile"
)

// ErrBusy is what a write answers when it waited its whole busy timeout for the app database's
// one write lock (a long transaction ahead of it, such as a large CSV import): nothing was
// written and the same write will most likely succeed a moment later. Errors from the app
// database wrap it, so callers answer "try again" (503 with Retry-After) instead of a failure.
var ErrBusy = errors.New("database busy")

// IsBusy reports whether err says a store's write lock stayed taken for its whole busy timeout:
// ErrBusy, SQLITE_BUSY or SQLITE_LOCKED from mattn/go-sqlite3, or from modernc.org/sqlite (the
// task hub; sqlitefile matches it without this package linking that SQLite).
func IsBusy(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrBusy) {
		return true
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return true
	}
	return sqlitefile.IsBusy(err)
}

// defaultBusyTimeout is SQLiteDSN's _busy_timeout, in milliseconds.
const defaultBusyTimeout = 5000

// busyTimeout reads the busy timeout a SQLiteDSN carries, so that the write gate waits as long
// as SQLite's own busy handler would: an operator who raises `_busy_timeout` in database.dsn
// (for imports of many thousand rows on a slow disk) raises both.
func busyTimeout(dsn string) (time.Duration, error) {
	_, query := sqlitefile.SplitDSN(dsn)
	q, err := url.ParseQuery(query)
	if err != nil {
		return 0, fmt.Errorf("database.dsn: %w", err)
	}
	v := q.Get("_busy_timeout")
	if v == "" {
		return defaultBusyTimeout * time.Millisecond, nil
	}
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 0 {
		return 0, fmt.Errorf("database.dsn: _busy_timeout %q is not a number of milliseconds", v)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
