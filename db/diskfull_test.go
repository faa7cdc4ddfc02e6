package db

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

func TestIsDiskFull(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"mattn SQLITE_FULL", fmt.Errorf("commit: %w", sqlite3.Error{Code: sqlite3.ErrFull}), true},
		{"mattn busy", sqlite3.Error{Code: sqlite3.ErrBusy}, false},
		{"modernc's message", errors.New("failed to commit transaction: database or disk is full (13)"), true},
		{"ENOSPC", fmt.Errorf("write: %w", syscall.ENOSPC), true},
		{"translated", appSQLite{}.Translate(sqlite3.Error{Code: sqlite3.ErrFull}), true},
		{"postgres disk_full", fmt.Errorf("insert: %w", &pgconn.PgError{Code: "53100", Message: "could not extend file"}), true},
		{"postgres out of memory", &pgconn.PgError{Code: "53200"}, false},
		{"other", errors.New("no such table"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsDiskFull(tc.err); got != tc.want {
				t.Errorf("IsDiskFull(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
	if err := (appSQLite{}).Translate(sqlite3.Error{Code: sqlite3.ErrFull}); !errors.Is(err, ErrDiskFull) {
		t.Errorf("translated %v does not wrap ErrDiskFull", err)
	}
}

func TestIsBusy(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"the gate's wait ran out", fmt.Errorf("%w: waited 5s", ErrBusy), true},
		{"mattn SQLITE_BUSY", fmt.Errorf("begin: %w", sqlite3.Error{Code: sqlite3.ErrBusy}), true},
		{"mattn SQLITE_LOCKED", sqlite3.Error{Code: sqlite3.ErrLocked}, true},
		{"modernc's message", errors.New("database is locked (5) (SQLITE_BUSY)"), true},
		{"translated", appSQLite{}.Translate(sqlite3.Error{Code: sqlite3.ErrBusy}), true},
		{"disk full", sqlite3.Error{Code: sqlite3.ErrFull}, false},
		{"other", errors.New("no such table"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsBusy(tc.err); got != tc.want {
				t.Errorf("IsBusy(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
	if err := (appSQLite{}).Translate(sqlite3.Error{Code: sqlite3.ErrBusy}); !errors.Is(err, ErrBusy) {
		t.Errorf("translated %v does not wrap ErrBusy", err)
	}
}
