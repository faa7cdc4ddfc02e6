package postgres

import (
	"context"
	"log/slog"
	"strings"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub"
)

// NewForHub builds a Backend from the task hub's configuration: it is the
// constructor that cmd sets as taskhub.Options.NewPostgres. The hub creates
// the task hub, starts and stops the Backend, and closes it on shutdown.
func NewForHub(ctx context.Context, o taskhub.Options, log *slog.Logger) (backend.Backend, error) {
	opts := Options{LockTimeout: o.LockTimeout, PollInterval: o.PollInterval}
	if !strings.Contains(o.DSN, "pool_max_conns") {
		// Every work item in flight (Parallelism orchestrations and as many
		// activities) holds a connection while it saves; the fetches, the
		// notifier, the completer and the lock renewal want one each.
		opts.MaxConns = int32(max(defaultMaxConns, 2*o.Parallelism+4))
	}
	b, err := New(ctx, o.DSN, opts, log)
	if err != nil {
		// Not a nil *Backend in a non-nil interface.
		return nil, err
	}
	return b, nil
}
