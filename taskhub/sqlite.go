package taskhub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/backend/sqlite"
	// The engine links modernc's SQLite; our own handle on the task hub file
	// must use that same copy (driver "sqlite"), never mattn/go-sqlite3:
	// two copies of SQLite in one process do not see each other's locks.
	_ "modernc.org/sqlite"
)

// sqlitePragmas are what the engine's backend needs and never sets itself:
// with its defaults, a 10,000-activity fan-out did not finish in 5 minutes.
const sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"

// sqliteDSN turns a file path into the engine's DSN, creating the file's
// folder; a "file:" DSN is used as given.
func sqliteDSN(dsn string) (string, error) {
	if strings.HasPrefix(dsn, "file:") {
		return dsn, nil
	}
	// SQLite would read these as the start of URI parameters or an escape.
	if strings.ContainsAny(dsn, "?#%") {
		return "", fmt.Errorf("sqlite path %q contains one of ?#%%: pass a file: DSN instead", dsn)
	}
	if err := os.MkdirAll(filepath.Dir(dsn), 0o750); err != nil {
		return "", fmt.Errorf("create folder for %s: %w", dsn, err)
	}
	return "file:" + dsn + "?" + sqlitePragmas, nil
}

// sqliteStore is the SQLite task hub file as seen beside the engine: our own
// handle for what the engine cannot do (release stale locks, find the next
// timer), and the engine's handle, which only we can close.
type sqliteStore struct {
	db     *sql.DB
	engine *sql.DB
}

// openSQLite opens the engine's SQLite backend on dsn, creating its tables.
func openSQLite(ctx context.Context, dsn string, lockTimeout time.Duration, logger backend.Logger) (backend.Backend, *sqliteStore, error) {
	opts := sqlite.NewSqliteOptions(dsn)
	opts.OrchestrationLockTimeout = lockTimeout
	// v0.6.0 locks activities for OrchestrationLockTimeout; set both anyway.
	opts.ActivityLockTimeout = lockTimeout
	be := sqlite.NewSqliteBackend(opts, logger)
	if err := createTaskHub(ctx, be); err != nil {
		return nil, nil, err
	}
	engine, err := engineDB(be)
	if err != nil {
		return nil, nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("open task hub file: %w", err), engine.Close())
	}
	// All our statements are short; one connection keeps them from
	// competing with each other for SQLite's single writer.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("open task hub file: %w", err), db.Close(), engine.Close())
	}
	return wholeFetches{be}, &sqliteStore{db: db, engine: engine}, nil
}

// wholeFetches runs the engine's fetches to their end once begun, whatever
// happens to their context meanwhile.
//
// The engine fetches an orchestration in a transaction begun on the fetch's
// context. When Shutdown cancels that context mid-transaction, database/sql
// rolls back on a goroutine of its own (Tx.awaitDone), the engine's deferred
// Rollback returns ErrTxDone at once, and the fetch returns while that
// goroutine still holds the engine's connection. DB.Close leaves a
// connection in use open (despite its doc, it only closes the idle ones), so
// Shutdown returned with the file still open and its WAL still there
// (TestShutdownClosesStore, flaky under load). A fetch is a few short
// statements; Shutdown waits for it instead.
type wholeFetches struct {
	backend.Backend
}

// GetOrchestrationWorkItem implements backend.Backend.
func (w wholeFetches) GetOrchestrationWorkItem(ctx context.Context) (*backend.OrchestrationWorkItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch orchestration work item: %w", err)
	}
	return w.Backend.GetOrchestrationWorkItem(context.WithoutCancel(ctx))
}

// GetActivityWorkItem implements backend.Backend. The engine fetches an
// activity in one statement, without a transaction; it is detached all the
// same, so that no fetch of the engine's is cut short.
func (w wholeFetches) GetActivityWorkItem(ctx context.Context) (*backend.ActivityWorkItem, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch activity work item: %w", err)
	}
	return w.Backend.GetActivityWorkItem(context.WithoutCancel(ctx))
}

// String names the decorated backend in the engine's logs.
func (w wholeFetches) String() string {
	return fmt.Sprint(w.Backend)
}

// createTaskHub runs the engine's CreateTaskHub, which opens the database
// and applies the schema, and panics where it should return an error.
func createTaskHub(ctx context.Context, be backend.Backend) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if e, ok := r.(error); ok {
			err = fmt.Errorf("create task hub: %w", e)
			return
		}
		err = fmt.Errorf("create task hub: %v", r)
	}()
	if err := be.CreateTaskHub(ctx); err != nil && !errors.Is(err, backend.ErrTaskHubExists) {
		return fmt.Errorf("create task hub: %w", err)
	}
	return nil
}

// engineDB reaches the *sql.DB that the engine's SQLite backend keeps in its
// unexported field db. The backend has no Close, and a hub shut down and
// opened again in one process (tests; a restarted hub) must not leave the
// file open. The field is checked, so an engine upgrade that moves it fails
// Open instead of corrupting memory.
func engineDB(be backend.Backend) (*sql.DB, error) {
	v := reflect.ValueOf(be)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("sqlite backend %T is not a pointer to a struct", be)
	}
	f := v.Elem().FieldByName("db")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*sql.DB]() {
		return nil, fmt.Errorf("sqlite backend %T has no field db *sql.DB", be)
	}
	db := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(*sql.DB)
	if db == nil {
		return nil, fmt.Errorf("sqlite backend %T holds no database", be)
	}
	return db, nil
}

// nextDueSQL finds the earliest VisibleTime after a time: durable timers, and
// orchestration work items abandoned with a retry delay. The engine writes
// every time in UTC through the same driver, so its text compares in order.
const nextDueSQL = `SELECT [VisibleTime] FROM NewEvents WHERE [VisibleTime] > ? ORDER BY [VisibleTime] LIMIT 1`

// NextDue implements TimerSource.
func (s *sqliteStore) NextDue(ctx context.Context, after time.Time) (time.Time, bool, error) {
	var due time.Time
	err := s.db.QueryRowContext(ctx, nextDueSQL, after.UTC()).Scan(&due)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("query next visible event: %w", err)
	}
	return due, true, nil
}

// closeWait bounds how long Close waits for connections still in use.
const closeWait = 5 * time.Second

// Close closes both handles on the file and waits, up to closeWait, for connections still in
// use to be handed back and closed: database/sql's Close closes only the idle ones, and a
// rollback that a cancelled context started on a goroutine of its own (a request cancelled
// during shutdown) may hold one a moment longer. After Close the file is no longer open.
func (s *sqliteStore) Close() error {
	if err := errors.Join(s.db.Close(), s.engine.Close()); err != nil {
		return err
	}
	deadline := time.Now().Add(closeWait)
	for {
		open := s.db.Stats().OpenConnections + s.engine.Stats().OpenConnections
		if open == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("task hub file still held by %d connections %s after closing", open, closeWait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
