package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub"
)

// defaultMaxConns is the pool size when neither Options nor the DSN set one:
// pgxpool's own default (the number of CPUs, at least 4) would make the
// engine's two workers of parallelism 4, the fetches and the helpers queue
// for connections.
const defaultMaxConns = 12

// Backend is a durabletask-go backend.Backend on PostgreSQL. Any number of
// Backends, in one process or many, may share one database (and schema).
type Backend struct {
	pool       *pgxpool.Pool
	connConfig *pgx.ConnConfig // for the listener's own connection
	db         *sql.DB         // for readers of the tables, see DB
	opts       Options
	log        *slog.Logger
	workerName string
	channel    string // NOTIFY channel of this task hub

	orchestrations *taskhub.Broadcast // work for orchestration fetches may have appeared
	activities     *taskhub.Broadcast // work for activity fetches may have appeared
	stopped        atomic.Bool

	prefetched prefetch // activity tasks claimed but not yet handed out
	held       held     // work items locked by this Backend, whose locks it renews

	pending atomic.Uint32 // bits of the kinds of work announced but not yet notified
	poke    chan struct{} // tells the notifier that pending has bits

	completions chan *completion // to the completer; unbuffered, so none is left behind

	stopHelpers   func()        // ends the notifier and the completer
	notifierDone  chan struct{} // closed when the notifier has ended
	completerDone chan struct{} // closed when the completer has ended

	mu     sync.Mutex     // guards cancel
	cancel func()         // stops the listener and lock renewal; nil when not started
	bg     sync.WaitGroup // the listener and lock renewal goroutines
}

var _ backend.Backend = (*Backend)(nil)

// New connects a pool to the database at dsn (a PostgreSQL URL or key=value
// string) and logs to log (nil: nowhere). It creates no tables: CreateTaskHub
// does. Start begins listening for notifications and renewing locks; Close
// releases everything.
func New(ctx context.Context, dsn string, opts Options, log *slog.Logger) (*Backend, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("postgres task hub options: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres task hub dsn: %w", err)
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(dsn, "pool_max_conns"):
		cfg.MaxConns = defaultMaxConns
	}
	// Readers and writers outside the engine's calls keep the DSN's own
	// commit durability.
	sqlConfig := cfg.ConnConfig.Copy()
	// pgx prepares and caches their statements, and after five runs
	// PostgreSQL would plan a cached one for any status alike: the instance
	// list then walked the CreatedTime index past tens of thousands of rows
	// for a rare status, which the (RuntimeStatus, CreatedTime, InstanceID)
	// index answers reading a page. Management reads are few; a plan of
	// their own each costs well under a millisecond.
	sqlConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	// Commits do not wait for the WAL flush, except those of inDurableTx:
	// see Durability in the package documentation.
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres task hub pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reach postgres task hub: %w", err)
	}
	b := &Backend{
		pool:           pool,
		connConfig:     cfg.ConnConfig.Copy(),
		db:             stdlib.OpenDB(*sqlConfig),
		opts:           opts,
		log:            log,
		workerName:     workerName(),
		channel:        fmt.Sprintf("taskhub_%016x", hubKey(opts.Schema)),
		orchestrations: taskhub.NewBroadcast(),
		activities:     taskhub.NewBroadcast(),
		poke:           make(chan struct{}, 1),
		completions:    make(chan *completion),
		notifierDone:   make(chan struct{}),
		completerDone:  make(chan struct{}),
	}
	// The helpers run from New to Close, not only between Start and Stop: a
	// process that only starts orchestrations must still tell the others,
	// and the engine stops the backend before its workers save their last
	// results.
	helpers, stop := context.WithCancel(context.Background())
	b.stopHelpers = stop
	go func() {
		defer close(b.notifierDone)
		b.notify(helpers)
	}()
	go func() {
		defer close(b.completerDone)
		b.complete(helpers)
	}()
	return b, nil
}

// workerName names this Backend in the LockedBy columns: host, process and a
// random part, so that two Backends in one process never share locks.
func workerName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s,%d,%s", host, os.Getpid(), uuid.NewString())
}

// hubKey identifies the task hub of a schema among all hubs on the server; it
// names the notification channel and the migration lock.
func hubKey(schema string) uint64 {
	h := fnv.New64a()
	h.Write([]byte("membership/taskhub:" + schema))
	return h.Sum64()
}

// Start implements backend.Backend: it starts the notification listener and
// the renewal of this process's locks.
func (b *Backend) Start(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cancel != nil {
		return backend.ErrBackendAlreadyStarted
	}
	// The goroutines outlive Start's context, which may be a request's; Stop
	// ends them.
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.stopped.Store(false)
	// Fetches that waited through a Stop may claim again.
	b.orchestrations.Signal()
	b.activities.Signal()
	b.bg.Add(2)
	go func() {
		defer b.bg.Done()
		b.listen(ctx)
	}()
	go func() {
		defer b.bg.Done()
		b.renewLocks(ctx)
	}()
	return nil
}

// Stop implements backend.Backend: it stops the listener and the lock
// renewal, unlocks the activity tasks it claimed ahead, and stops the
// fetches claiming work: until a new Start they wait for their context to
// end. The pool stays
// open, because the engine stops the backend before it drains its workers,
// whose last completions still need the database; Close releases it.
func (b *Backend) Stop(ctx context.Context) error {
	b.stopped.Store(true)
	b.orchestrations.Signal()
	b.activities.Signal()
	b.mu.Lock()
	cancel := b.cancel
	b.cancel = nil
	b.mu.Unlock()
	if cancel != nil {
		cancel()
		b.bg.Wait()
	}
	if err := b.releasePrefetched(ctx); err != nil {
		return fmt.Errorf("stop postgres task hub: %w", err)
	}
	return nil
}

// Close stops the Backend, sends its last notifications and closes its
// pool. Work items it still holds stay locked until their lock times out, as
// if the process had died. Close may be called more than once.
func (b *Backend) Close() error {
	err := b.Stop(context.Background())
	b.stopHelpers()
	<-b.notifierDone
	<-b.completerDone
	b.pool.Close()
	if cerr := b.db.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close database handle: %w", cerr))
	}
	return err
}

// DB returns a database/sql handle on the task hub's database, with the
// schema of Options.Schema on its search path, for readers of its tables
// (instance listing, rewind). Its commits wait for the disk unless the DSN
// says otherwise, and it plans every query for its own arguments. Close
// closes it.
func (b *Backend) DB() *sql.DB {
	return b.db
}

// Signal tells the idle orchestration fetches of every process that work
// may exist. Whoever writes NewEvents other than through the Backend (a
// rewind) calls it after the commit; otherwise the fetches notice the work
// only at their next poll.
func (b *Backend) Signal() {
	b.announce(orchestrationWork)
}

// String names the backend in the engine's logs.
func (b *Backend) String() string {
	return fmt.Sprintf("postgres::%s", b.opts.Schema)
}

// inTx runs fn in a transaction and commits it when fn returns nil. Like
// every statement of the pool, the commit does not wait for the WAL flush
// (see Durability in the package documentation); inDurableTx does.
func (b *Backend) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, b.pool, fn)
}

// inDurableTx runs fn in a transaction whose commit waits until the WAL is
// on disk, for the writes a client is told about.
func (b *Backend) inDurableTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return b.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = on"); err != nil {
			return fmt.Errorf("require durable commit: %w", err)
		}
		return fn(tx)
	})
}

// errLockLost reports a work item whose lock another process took over.
func errLockLost(what string) error {
	return fmt.Errorf("%s: %w", what, backend.ErrWorkItemLockLost)
}

var errNilEvent = errors.New("history event must be non-nil with a timestamp")
