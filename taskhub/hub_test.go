package taskhub

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/backend/sqlite"
	"github.com/microsoft/durabletask-go/task"
)

func TestOrchestrationCallsActivity(t *testing.T) {
	h := openTestHub(t, Options{Name: "e2e"})
	startHub(t, h, registry(t,
		map[string]task.Orchestrator{"Greet": greet},
		map[string]task.Activity{"Hello": hello}))

	tests := []struct {
		name       string
		input      string
		wantStatus api.OrchestrationStatus
		wantOutput string
	}{
		{"activity succeeds", "World", api.RUNTIME_STATUS_COMPLETED, `"Hello, World!"`},
		{"activity fails", "", api.RUNTIME_STATUS_FAILED, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := schedule(t, h.Client(), "Greet", tc.input)
			md := awaitCompletion(t, h.Client(), id, 20*time.Second)
			if md.RuntimeStatus != tc.wantStatus {
				t.Fatalf("status = %v, want %v", md.RuntimeStatus, tc.wantStatus)
			}
			if md.SerializedOutput != tc.wantOutput {
				t.Errorf("output = %q, want %q", md.SerializedOutput, tc.wantOutput)
			}
		})
	}
}

func TestOpenRejects(t *testing.T) {
	failing := errors.New("no server")
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"postgres without constructor", Options{Backend: "postgres", DSN: "postgres://x"}, `taskhub.backend "postgres": not available`},
		{"postgres constructor fails", Options{Backend: "postgres", DSN: "postgres://x",
			NewPostgres: func(context.Context, Options, *slog.Logger) (backend.Backend, error) { return nil, failing },
		}, "no server"},
		{"unknown backend", Options{Backend: "mysql", DSN: "x"}, `taskhub.backend "mysql": unknown`},
		{"no DSN", Options{}, "no DSN"},
		{"negative parallelism", Options{DSN: "x", Parallelism: -1}, "parallelism -1"},
		{"negative lock timeout", Options{DSN: "x", LockTimeout: -time.Second}, "lock timeout -1s"},
		{"question mark in path", Options{DSN: filepath.Join(t.TempDir(), "a?b.db")}, "contains one of"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := Open(t.Context(), tc.opts, testLog(t))
			if err == nil {
				_ = h.Shutdown(t.Context())
				t.Fatalf("Open succeeded, want error containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

// The postgres constructor's backend is used as it comes: here the
// engine's in-memory SQLite backend stands in for it.
func TestOpenPostgresUsesConstructor(t *testing.T) {
	var got Options
	h, err := Open(t.Context(), Options{Backend: "postgres", DSN: "postgres://x", Name: "pg",
		NewPostgres: func(_ context.Context, o Options, log *slog.Logger) (backend.Backend, error) {
			got = o
			return sqlite.NewSqliteBackend(sqlite.NewSqliteOptions(""), newEngineLogger(log)), nil
		},
	}, testLog(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer func() {
		if err := h.Shutdown(t.Context()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	}()
	if got.DSN != "postgres://x" || got.LockTimeout != DefaultLockTimeout {
		t.Errorf("constructor got DSN %q, lock timeout %v; want the options with defaults", got.DSN, got.LockTimeout)
	}
	n, err := h.ReleaseStaleLocks(t.Context())
	if n != 0 || err != nil {
		t.Errorf("ReleaseStaleLocks = %d, %v; want 0, nil on a shared hub", n, err)
	}
	startHub(t, h, registry(t,
		map[string]task.Orchestrator{"Greet": greet},
		map[string]task.Activity{"Hello": hello}))
	wantCompleted(t, awaitCompletion(t, h.Client(), schedule(t, h.Client(), "Greet", "PG"), 20*time.Second), "Hello, PG!")
}

func TestPlainPathGetsFolderAndWAL(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "nested", "data", "taskhub.db")
	h := openTestHub(t, Options{DSN: dsn})
	var mode string
	if err := h.store.db.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatalf("read journal mode: %v", err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if _, err := os.Stat(dsn); err != nil {
		t.Errorf("task hub file: %v", err)
	}
}

// TestCloseWaitsForConnectionsInUse: a connection still in use when the store closes (a
// rollback a cancelled context started on its own goroutine) is waited for, so that the file
// is closed when Close returns — database/sql's Close would return at once.
func TestCloseWaitsForConnectionsInUse(t *testing.T) {
	dsn := testDSN(t)
	h, err := Open(t.Context(), Options{DSN: dsn}, testLog(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	tx, err := h.store.engine.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	const held = 100 * time.Millisecond
	time.AfterFunc(held, func() { tx.Rollback() })
	start := time.Now()
	if err := h.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if took := time.Since(start); took < held {
		t.Errorf("Shutdown returned after %s, before the connection in use was handed back", took)
	}
	if _, err := os.Stat(dsn + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WAL file after Shutdown: %v, want it gone", err)
	}
}

func TestShutdownClosesStore(t *testing.T) {
	dsn := testDSN(t)
	h, err := Open(t.Context(), Options{DSN: dsn}, testLog(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	startHub(t, h, registry(t, nil, nil))
	if err := h.Ping(t.Context()); err != nil {
		t.Fatalf("Ping on an open hub: %v", err)
	}
	if err := h.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := h.Ping(t.Context()); err == nil {
		t.Error("Ping after Shutdown succeeded, want an error")
	}
	// SQLite removes the WAL file when the last connection to it closes.
	if _, err := os.Stat(dsn + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WAL file after Shutdown: %v, want it gone (a handle is still open)", err)
	}
	if err := h.Shutdown(t.Context()); err != nil {
		t.Errorf("second Shutdown: %v, want nil", err)
	}
	if err := h.Start(t.Context(), registry(t, nil, nil)); err == nil {
		t.Error("Start after Shutdown succeeded, want an error")
	}
}
