package taskhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/microsoft/durabletask-go/backend"
)

// Backend names accepted in Options.Backend.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// Defaults for the zero values of Options.
const (
	DefaultLockTimeout  = 30 * time.Second
	DefaultParallelism  = 4
	DefaultPollInterval = time.Second
)

// Options configure Open. Zero values take the defaults above; Backend
// defaults to "sqlite".
type Options struct {
	// Backend is "sqlite" or "postgres".
	Backend string
	// DSN locates the store. For sqlite: a file path such as
	// "data/taskhub.db" (its folder is created, and WAL mode, a busy timeout
	// and synchronous=NORMAL are set), or a complete "file:..." DSN used as
	// given. For postgres: a connection URL, handed to NewPostgres.
	DSN string
	// Name names the task hub in logs.
	Name string
	// LockTimeout is how long a work item stays locked by a worker that
	// neither completes nor abandons it. It applies to orchestrations and
	// activities alike.
	LockTimeout time.Duration
	// Parallelism is how many orchestration work items and, separately, how
	// many activity work items this process runs at once.
	Parallelism int
	// PollInterval bounds how long an idle worker waits for a signal before
	// it asks the store again, which covers work that no signal announces:
	// instances started by another process on the same SQLite file, and
	// locks that expire.
	PollInterval time.Duration
	// NewPostgres builds the PostgreSQL backend for Backend "postgres"
	// (package taskhub/postgres provides it; cmd wires it, which keeps this
	// package free of the PostgreSQL driver). The backend it returns should
	// long-poll in its own fetches, as taskhub/postgres does across
	// processes (one that answers ErrNoWorkItems at once is asked again
	// every 50 ms); if it is an io.Closer, Shutdown closes it.
	NewPostgres func(ctx context.Context, opts Options, log *slog.Logger) (backend.Backend, error)
}

// withDefaults fills the zero fields and rejects values that cannot work.
func (o Options) withDefaults() (Options, error) {
	if o.Backend == "" {
		o.Backend = BackendSQLite
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.Parallelism == 0 {
		o.Parallelism = DefaultParallelism
	}
	if o.PollInterval == 0 {
		o.PollInterval = DefaultPollInterval
	}
	switch {
	case o.DSN == "":
		return o, errors.New("no DSN")
	case o.LockTimeout < 0:
		return o, fmt.Errorf("lock timeout %v is negative", o.LockTimeout)
	case o.Parallelism < 0 || o.Parallelism > math.MaxInt32:
		return o, fmt.Errorf("parallelism %d is out of range", o.Parallelism)
	case o.PollInterval < 0:
		return o, fmt.Errorf("poll interval %v is negative", o.PollInterval)
	}
	return o, nil
}
