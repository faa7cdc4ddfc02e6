package db

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

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
