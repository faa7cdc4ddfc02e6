package taskhub_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the test's own handle
	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"

	"membership/db/dbtest"
	"membership/taskhub"
	"membership/taskhub/postgres"
)

// store is one task hub under test: the hub, its instance reader, and a handle of the test's
// own on the same tables, for seeding rows and looking at the queues.
type store struct {
	hub *taskhub.Hub
	x   *taskhub.Instances
	db  *sql.DB
	pg  bool
}

// eachBackend runs fn for SQLite and for PostgreSQL, as subtests.
func eachBackend(t *testing.T, fn func(t *testing.T, pg bool)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, false) })
	t.Run("postgres", func(t *testing.T) { fn(t, true) })
}

// eachStore runs fn on a SQLite and on a PostgreSQL task hub whose workers run r (nil: no
// workers, the hub only stores).
func eachStore(t *testing.T, r func() *task.TaskRegistry, fn func(t *testing.T, s *store)) {
	eachBackend(t, func(t *testing.T, pg bool) { fn(t, openStore(t, pg, r)) })
}

func openStore(t testing.TB, pg bool, r func() *task.TaskRegistry) *store {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := &store{pg: pg}
	opts := taskhub.Options{Name: "test", LockTimeout: 5 * time.Second, Parallelism: 4, PollInterval: 200 * time.Millisecond}
	if pg {
		dsn, schema := postgresSchema(t)
		opts.Backend, opts.DSN = taskhub.BackendPostgres, dsn
		opts.NewPostgres = func(ctx context.Context, o taskhub.Options, log *slog.Logger) (backend.Backend, error) {
			b, err := postgres.New(ctx, o.DSN, postgres.Options{Schema: schema, LockTimeout: o.LockTimeout, PollInterval: o.PollInterval}, log)
			if err != nil {
				return nil, err // not a nil *Backend in a non-nil interface
			}
			return b, nil
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		s.db = db
	} else {
		path := filepath.Join(t.TempDir(), "taskhub.db")
		opts.DSN = path
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		s.db = db
	}
	hub, err := taskhub.Open(ctx, opts, log)
	if err != nil {
		t.Fatalf("open task hub: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			t.Errorf("shut down task hub: %v", err)
		}
	})
	if r != nil {
		if err := hub.Start(ctx, r()); err != nil {
			t.Fatalf("start task hub: %v", err)
		}
	}
	x, err := hub.Instances()
	if err != nil {
		t.Fatalf("instances: %v", err)
	}
	s.hub, s.x = hub, x
	return s
}

// postgresSchema names a schema of the test's own on the test server, dropped when the test
// ends, and returns a URL whose connections use it; without a server the test is skipped
// (failed in CI).
func postgresSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbtest.PostgresURL())
	if err != nil {
		dbtest.Unavailable(t, "PostgreSQL", err.Error())
	}
	defer conn.Close(ctx)
	schema = "instances_test_" + strings.ToLower(rand.Text()[:10])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dbtest.PostgresURL())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(dbtest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

// registry builds a task registry.
func registry(t testing.TB, orchestrators map[string]task.Orchestrator, activities map[string]task.Activity) func() *task.TaskRegistry {
	return func() *task.TaskRegistry {
		r := task.NewTaskRegistry()
		for name, o := range orchestrators {
			if err := r.AddOrchestratorN(name, o); err != nil {
				t.Fatal(err)
			}
		}
		for name, a := range activities {
			if err := r.AddActivityN(name, a); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
}

// start schedules an orchestration and returns its id.
func (s *store) start(t *testing.T, name string, opts ...api.NewOrchestrationOptions) api.InstanceID {
	t.Helper()
	id, err := s.hub.Client().ScheduleNewOrchestration(t.Context(), name, opts...)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return id
}

// await waits for an instance to reach one of the statuses.
func (s *store) await(t *testing.T, id api.InstanceID, want ...api.OrchestrationStatus) taskhub.Instance {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		inst, err := s.x.Get(t.Context(), id)
		if err != nil && !errors.Is(err, api.ErrInstanceNotFound) {
			t.Fatalf("get %s: %v", id, err)
		}
		for _, w := range want {
			if err == nil && inst.Status == w {
				return inst
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s after 30s, want one of %v", id, taskhub.StatusName(inst.Status), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queued counts the rows waiting in NewEvents and NewTasks for an instance.
func (s *store) queued(t *testing.T, id api.InstanceID) int {
	t.Helper()
	q := `SELECT (SELECT COUNT(*) FROM NewEvents WHERE InstanceID = ?) + (SELECT COUNT(*) FROM NewTasks WHERE InstanceID = ?)`
	if s.pg {
		q = `SELECT (SELECT COUNT(*) FROM NewEvents WHERE InstanceID = $1) + (SELECT COUNT(*) FROM NewTasks WHERE InstanceID = $2)`
	}
	var n int
	if err := s.db.QueryRowContext(t.Context(), q, string(id), string(id)).Scan(&n); err != nil {
		t.Fatalf("count queued work: %v", err)
	}
	return n
}

// seedRow is an instance written straight into the Instances table.
type seedRow struct {
	id      string
	name    string
	status  api.OrchestrationStatus
	created time.Time
}

// seed writes instances the way the engine does (UTC times through the store's driver), far
// faster than running them.
func (s *store) seed(t testing.TB, rows []seedRow) {
	t.Helper()
	q := `INSERT INTO Instances (InstanceID, ExecutionID, Name, RuntimeStatus, CreatedTime, LastUpdatedTime, Input) VALUES (?, ?, ?, ?, ?, ?, ?)`
	if s.pg {
		q = `INSERT INTO Instances (InstanceID, ExecutionID, Name, RuntimeStatus, CreatedTime, LastUpdatedTime, Input) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	}
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := tx.Prepare(q)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		status := strings.TrimPrefix(r.status.String(), "ORCHESTRATION_STATUS_")
		if _, err := stmt.Exec(r.id, "e-"+r.id, r.name, status, r.created.UTC(), r.created.UTC(), `{"id":"`+r.id+`"}`); err != nil {
			t.Fatalf("seed %s: %v", r.id, err)
		}
	}
	if err := errors.Join(stmt.Close(), tx.Commit()); err != nil {
		t.Fatal(err)
	}
}
