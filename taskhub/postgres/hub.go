package postgres

import (
	"context"
	"log/slog"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub"
)

// NewForHub builds a Backend from the task hub's configuration: it is the
// constructor that cmd sets as taskhub.Options.NewPostgres. The hub creates
// the task hub, starts and stops the Backend, and closes it on shutdown.
func NewForHub(ctx context.Context, o taskhub.Options, log *slog.Logger) (backend.Backend, error) {
	b, err := New(ctx, o.DSN, Options{
		LockTimeout:  o.LockTimeout,
		PollInterval: o.PollInterval,
		// Every work item in flight (Parallelism orchestrations and as many
		// activities) holds a connection while it saves, and the two
		// long-polling fetches and the lock renewal want one each.
		MaxConns: int32(2*o.Parallelism + 3),
	}, log)
	if err != nil {
		// Not a nil *Backend in a non-nil interface.
		return nil, err
	}
	return b, nil
}
