package postgres_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub/postgres"
)

// TestCreateTaskHub: processes starting together migrate once, the engine's
// SQLite table and column names read unquoted, and DeleteTaskHub drops it all.
func TestCreateTaskHub(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	ctx := context.Background()
	var hubs []*postgres.Backend
	for range 3 {
		b, err := postgres.New(ctx, serverURL(), postgres.Options{Schema: schema}, nil)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = b.Close() })
		hubs = append(hubs, b)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(hubs))
	for i, b := range hubs {
		wg.Go(func() { errs[i] = b.CreateTaskHub(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("process %d: create task hub: %v", i, err)
		}
	}
	if err := hubs[0].CreateTaskHub(ctx); err != nil {
		t.Fatalf("create again: %v", err)
	}
	if _, err := backend.NewTaskHubClient(hubs[0]).ScheduleNewOrchestration(ctx, "Casing"); err != nil {
		t.Fatalf("start: %v", err)
	}

	db := hubs[0].DB()
	var applied int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM taskhub_goose_version WHERE version_id > 0 AND is_applied").Scan(&applied); err != nil {
		t.Fatalf("read migration record: %v", err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if applied != int64(len(files)) {
		t.Errorf("migrations recorded = %d, want %d", applied, len(files))
	}
	// The SQLite backend's own spelling, as a reader of both would write it.
	var name, status string
	if err := db.QueryRowContext(ctx, "SELECT Name, RuntimeStatus FROM Instances WHERE InstanceID IS NOT NULL").Scan(&name, &status); err != nil {
		t.Fatalf("read Instances: %v", err)
	}
	if name != "Casing" || status != "PENDING" {
		t.Errorf("instance (%q, %q), want (\"Casing\", \"PENDING\")", name, status)
	}
	for _, q := range []string{
		"SELECT InstanceID, SequenceNumber, EventPayload FROM History",
		"SELECT SequenceNumber, InstanceID, ExecutionID, Timestamp, VisibleTime, DequeueCount, LockedBy, EventPayload FROM NewEvents",
		"SELECT SequenceNumber, InstanceID, ExecutionID, Timestamp, DequeueCount, LockedBy, LockExpiration, EventPayload FROM NewTasks",
		"SELECT InstanceID, ExecutionID, Name, Version, RuntimeStatus, CreatedTime, LastUpdatedTime, CompletedTime, LockedBy, LockExpiration, Input, Output, CustomStatus, FailureDetails, ParentInstanceID FROM Instances",
	} {
		rows, err := db.QueryContext(ctx, q)
		if err == nil {
			err = errors.Join(rows.Close(), rows.Err())
		}
		if err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}

	if err := hubs[1].DeleteTaskHub(ctx); err != nil {
		t.Fatalf("delete: %v", err)
	}
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = $1", schema).Scan(&tables); err != nil {
		t.Fatalf("count tables: %v", err)
	}
	if tables != 0 {
		t.Errorf("%d tables left after delete, want none", tables)
	}
	if err := hubs[1].DeleteTaskHub(ctx); !errors.Is(err, backend.ErrTaskHubNotFound) {
		t.Errorf("delete again: error %v, want %v", err, backend.ErrTaskHubNotFound)
	}
}

// connect opens a plain connection with schema on its search path.
func connect(t *testing.T, schema string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(serverURL())
	if err != nil {
		t.Fatalf("parse server URL: %v", err)
	}
	cfg.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}
