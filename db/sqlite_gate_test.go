package db

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
)

// openGateTest opens a gated SQLite file with a table to write to.
func openGateTest(t *testing.T, wait time.Duration) *sql.DB {
	t.Helper()
	dsn, err := SQLiteDSN(filepath.Join(t.TempDir(), "gate.db"))
	if err != nil {
		t.Fatal(err)
	}
	sqlDB := openGatedSQLite(dsn, wait)
	t.Cleanup(func() { sqlDB.Close() })
	if _, err := sqlDB.Exec("CREATE TABLE n (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	return sqlDB
}

// TestGateQueuesWriters: many writers at once all get through — none sees "database is
// locked" — and their writes all land.
func TestGateQueuesWriters(t *testing.T) {
	db := openGateTest(t, 5*time.Second)
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for range writers {
		wg.Go(func() {
			for range each {
				tx, err := db.BeginTx(t.Context(), nil)
				if err != nil {
					errs <- err
					continue
				}
				if _, err := tx.Exec("INSERT INTO n VALUES (1)"); err != nil {
					errs <- errors.Join(err, tx.Rollback())
					continue
				}
				errs <- tx.Commit()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a writer failed: %v", err)
		}
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM n").Scan(&n); err != nil || n != writers*each {
		t.Fatalf("%d rows (%v), want %d", n, err, writers*each)
	}
}

// TestGateWaitEnds: a transaction waiting behind another gives up when the wait runs out
// (SQLite's own "busy" error) or its context ends, and the gate is free again once the first
// one commits.
func TestGateWaitEnds(t *testing.T) {
	db := openGateTest(t, 100*time.Millisecond)
	first, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var se sqlite3.Error
	if _, err := db.BeginTx(t.Context(), nil); !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || !errors.Is(err, ErrBusy) || !IsBusy(err) {
		t.Errorf("second transaction: %v, want SQLite's busy error wrapped in ErrBusy", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(10*time.Millisecond, cancel)
	if _, err := db.BeginTx(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v, want context.Canceled", err)
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	next, err := db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatalf("after the first committed: %v", err)
	}
	if err := next.Rollback(); err != nil {
		t.Fatal(err)
	}
}

// TestBusyTimeout: the gate waits as long as the DSN's busy timeout says, the default when it
// says nothing; a value that is no number of milliseconds stops the start.
func TestBusyTimeout(t *testing.T) {
	tests := []struct {
		dsn     string
		want    time.Duration
		wantErr bool
	}{
		{"file:/data/app.db", 5 * time.Second, false},
		{"file:/data/app.db?_journal_mode=WAL", 5 * time.Second, false},
		{"file:/data/app.db?_busy_timeout=30000&_txlock=immediate", 30 * time.Second, false},
		{"file:/data/app.db?_busy_timeout=0", 0, false},
		{"file:/data/app.db?_busy_timeout=soon", 0, true},
		{"file:/data/app.db?_busy_timeout=-1", 0, true},
	}
	for _, tt := range tests {
		got, err := busyTimeout(tt.dsn)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("busyTimeout(%q) = %s, %v; want %s, error %t", tt.dsn, got, err, tt.want, tt.wantErr)
		}
	}
}
