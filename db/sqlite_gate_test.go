package db

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
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

// TestConnKeepsLongStatements: a statement of many arguments, compiled once per connection
// and kept, gives the right answer every time — rows read and closed, then run again with
// other values, after a schema change, after a failed run — and one of few arguments or a
// text of two statements runs as before, uncached.
func TestConnKeepsLongStatements(t *testing.T) {
	sqlDB := openGateTest(t, 5*time.Second)
	sqlDB.SetMaxOpenConns(1) // every statement on the one connection, so the kept ones are reused
	ctx := t.Context()
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// insert writes keepFrom rows of base, base+1, … and returns their values.
	insert := func(base int) (sum int, err error) {
		q, args := "INSERT INTO n (v) VALUES ", make([]any, keepFrom)
		for i := range keepFrom {
			if i > 0 {
				q += ", "
			}
			q += "(?)"
			args[i] = base + i
		}
		rows, err := conn.QueryContext(ctx, q+" RETURNING v", args...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return 0, err
			}
			sum += v
		}
		return sum, rows.Err()
	}
	want := func(base int) int { return keepFrom*base + keepFrom*(keepFrom-1)/2 }
	for _, base := range []int{0, 1000, 5000} {
		if got, err := insert(base); err != nil || got != want(base) {
			t.Fatalf("insert from %d: sum %d (%v), want %d", base, got, err, want(base))
		}
	}
	kept := func() (n int) {
		_ = conn.Raw(func(dc any) error {
			n = len(dc.(*gatedConn).kept)
			return nil
		})
		return n
	}
	if n := kept(); n != 1 {
		t.Errorf("%d statements kept, want the one insert", n)
	}
	if _, err := conn.ExecContext(ctx, "ALTER TABLE n ADD COLUMN w INTEGER NOT NULL DEFAULT 7"); err != nil {
		t.Fatal(err)
	}
	if got, err := insert(9000); err != nil || got != want(9000) {
		t.Fatalf("after a schema change: sum %d (%v), want %d", got, err, want(9000))
	}
	if _, err := conn.ExecContext(ctx, "CREATE TRIGGER no_big BEFORE INSERT ON n WHEN NEW.v >= 100000 BEGIN SELECT RAISE(ABORT, 'too big'); END"); err != nil {
		t.Fatal(err)
	}
	if _, err := insert(100000); err == nil {
		t.Fatal("an insert the trigger refuses went through")
	}
	if _, err := conn.ExecContext(ctx, "DROP TRIGGER no_big"); err != nil {
		t.Fatal(err)
	}
	if got, err := insert(200); err != nil || got != want(200) {
		t.Fatalf("after a failed run: sum %d (%v), want %d", got, err, want(200))
	}
	two := make([]any, keepFrom)
	q := "UPDATE n SET w = 1 WHERE v IN (?" + strings.Repeat(", ?", keepFrom-2) + "); UPDATE n SET w = 2 WHERE v = ?"
	for i := range two {
		two[i] = i
	}
	if _, err := conn.ExecContext(ctx, q, two...); err != nil {
		t.Fatalf("two statements in one text: %v", err)
	}
	var w1, w2 int
	if err := conn.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM n WHERE w = 1), (SELECT COUNT(*) FROM n WHERE w = 2)").Scan(&w1, &w2); err != nil || w1 != keepFrom-1 || w2 != 1 {
		t.Fatalf("two statements in one text set %d and %d rows (%v), want %d and 1", w1, w2, err, keepFrom-1)
	}
	if n := kept(); n != 1 {
		t.Errorf("%d statements kept, want still the one insert", n)
	}
	var count int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM n").Scan(&count); err != nil || count != 5*keepFrom {
		t.Fatalf("%d rows (%v), want %d", count, err, 5*keepFrom)
	}
}
