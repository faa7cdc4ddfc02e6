// Package taskhub is our side of the durable task engine (durabletask-go):
// it opens the SQLite task hub (or, through a constructor cmd wires in, the
// PostgreSQL one), releases work-item locks a killed process left behind,
// keeps idle workers responsive by long-polling, and runs and drains the
// orchestration and activity workers.
package taskhub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// Hub is an open task hub: its backend, a client, and once started its
// workers.
type Hub struct {
	opts   Options
	log    *slog.Logger
	be     backend.Backend
	client backend.TaskHubClient
	store  *sqliteStore // nil unless the backend is SQLite
	closer io.Closer    // what Shutdown closes last

	// hard ends in-flight work items; Shutdown cancels it when its own
	// context ends before the workers have drained, and once they have.
	hard       context.Context
	cancelHard context.CancelFunc
	// stopping closes when Shutdown begins; tests wait on it.
	stopping chan struct{}

	mu      sync.Mutex
	started bool
	closed  bool
	// workers by kind, and the loops that feed them work items.
	workers     map[string]backend.TaskWorker
	stopPolling context.CancelFunc
	polling     sync.WaitGroup
}

// Open opens the task hub that opts describe, creating its tables when they
// do not exist yet.
func Open(ctx context.Context, opts Options, log *slog.Logger) (*Hub, error) {
	return open(ctx, opts, log, true)
}

// open is Open with the long-polling decorator optional, so that a
// benchmark can measure what it saves.
func open(ctx context.Context, opts Options, log *slog.Logger, longPolling bool) (*Hub, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("open task hub %q: %w", opts.Name, err)
	}
	h := &Hub{opts: o, log: log, stopping: make(chan struct{})}
	var be backend.Backend
	switch o.Backend {
	case BackendSQLite:
		be, err = h.openSQLite(ctx, longPolling)
	case BackendPostgres:
		be, err = h.openPostgres(ctx)
	default:
		err = fmt.Errorf("taskhub.backend %q: unknown (want %q or %q)", o.Backend, BackendSQLite, BackendPostgres)
	}
	if err != nil {
		return nil, fmt.Errorf("open task hub %q: %w", o.Name, err)
	}
	// The hard stop outlives every request: only Shutdown ends it.
	h.hard, h.cancelHard = context.WithCancel(context.WithoutCancel(ctx))
	h.be = &drainBackend{Backend: be, hard: h.hard, fullWait: o.LockTimeout / 2, log: log}
	h.client = backend.NewTaskHubClient(h.be)
	log.Info("task hub open", slog.String("name", o.Name), slog.String("backend", o.Backend))
	return h, nil
}

// settleDelay is the least time between two questions of an orchestration
// fetch while signals keep waking it, so that results arriving together
// reach their orchestration in one step. Orchestration steps measured on
// the 10,000-activity fan-out (BenchmarkFanOut): 2,050-2,470 without it,
// 880-1,070 with 5 ms, 740 with 10 ms, 400-570 with the engine's polling.
// A chain of activities pays it once per step at most (BenchmarkSequence).
const settleDelay = 5 * time.Millisecond

func (h *Hub) openSQLite(ctx context.Context, longPolling bool) (backend.Backend, error) {
	dsn, err := sqliteDSN(h.opts.DSN)
	if err != nil {
		return nil, err
	}
	be, store, err := openSQLite(ctx, dsn, h.opts.LockTimeout, newEngineLogger(h.log))
	if err != nil {
		return nil, err
	}
	h.store, h.closer = store, store
	if !longPolling {
		return be, nil
	}
	return newLongPoll(be,
		queue{wake: NewBroadcast(), timers: store, poll: h.opts.PollInterval, settle: settleDelay},
		queue{wake: NewBroadcast(), poll: h.opts.PollInterval},
		h.log), nil
}

func (h *Hub) openPostgres(ctx context.Context) (backend.Backend, error) {
	if h.opts.NewPostgres == nil {
		return nil, errors.New(`taskhub.backend "postgres": not available: ` +
			`no PostgreSQL task hub constructor was wired in (Options.NewPostgres)`)
	}
	be, err := h.opts.NewPostgres(ctx, h.opts, h.log)
	if err != nil {
		return nil, fmt.Errorf("postgres backend: %w", err)
	}
	if c, ok := be.(io.Closer); ok {
		h.closer = c
	}
	if err := be.CreateTaskHub(ctx); err != nil && !errors.Is(err, backend.ErrTaskHubExists) {
		return nil, errors.Join(fmt.Errorf("create task hub: %w", err), h.close())
	}
	return be, nil
}

// Client returns a client that starts, queries and signals orchestrations.
func (h *Hub) Client() backend.TaskHubClient {
	return h.client
}

// Backend returns the backend the hub's workers and client use. Writes made
// through it wake idle workers at once.
func (h *Hub) Backend() backend.Backend {
	return h.be
}

// pingID names no instance; looking it up shows the store answers.
const pingID = api.InstanceID("taskhub:ping")

// Ping reports whether the task hub's store answers, for readiness checks.
func (h *Hub) Ping(ctx context.Context) error {
	_, err := h.be.GetOrchestrationMetadata(ctx, pingID)
	if err != nil && !errors.Is(err, api.ErrInstanceNotFound) {
		return fmt.Errorf("ping task hub: %w", err)
	}
	return nil
}

// close closes the store, if there is one to close.
func (h *Hub) close() error {
	if h.closer == nil {
		return nil
	}
	if err := h.closer.Close(); err != nil {
		return fmt.Errorf("close task hub store: %w", err)
	}
	return nil
}
