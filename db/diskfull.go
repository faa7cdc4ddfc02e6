package db

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"

	"membership/db/sqlitefile"
)

// ErrDiskFull is what a write answers when the store's disk (or its quota) is full: SQLite's
// SQLITE_FULL, "database or disk is full". SQLite rolls the transaction back and the file stays
// sound; the same write succeeds once space is freed. Errors from the app database wrap it.
var ErrDiskFull = errors.New("disk full")

// pgDiskFull is PostgreSQL's SQLSTATE disk_full.
const pgDiskFull = "53100"

// IsDiskFull reports whether err says a store's disk is full: ErrDiskFull, SQLITE_FULL from
// mattn/go-sqlite3 (the app database) or from modernc.org/sqlite (the task hub; matched by its
// code or its message, so that this package does not link the task hub's SQLite), PostgreSQL's
// disk_full, or ENOSPC.
func IsDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrDiskFull) || errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrFull {
		return true
	}
	// PostgreSQL's disk_full (class 53, insufficient resources): the server's disk, not ours,
	// but the same for the admin — nothing was written, it works again once space is freed.
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == pgDiskFull {
		return true
	}
	return sqlitefile.IsFull(err)
}

// appSQLite is GORM's SQLite dialector that also translates SQLITE_FULL into ErrDiskFull and
// SQLITE_BUSY into ErrBusy, so that callers test errors.Is(err, ErrDiskFull) as they test
// gorm.ErrDuplicatedKey.
type appSQLite struct{ *sqlite.Dialector }

// Translate implements gorm.ErrorTranslator.
func (d appSQLite) Translate(err error) error {
	if IsDiskFull(err) && !errors.Is(err, ErrDiskFull) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	if IsBusy(err) && !errors.Is(err, ErrBusy) {
		return fmt.Errorf("%w: %w", ErrBusy, err)
	}
	return d.Dialector.Translate(err)
}
