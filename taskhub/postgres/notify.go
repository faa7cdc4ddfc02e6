package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// work is the payload of a notification: which kind of fetch may now succeed.
type work string

const (
	orchestrationWork work = "orchestration"
	activityWork      work = "activity"
)

// listen relays the hub's notifications, from every process, to this
// process's waiting fetches until ctx ends. A lost connection is
// re-established; meanwhile the fetches fall back to their poll interval.
func (b *Backend) listen(ctx context.Context) {
	const retry = time.Second
	for {
		err := b.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		b.log.Warn("task hub listener lost its connection; reconnecting",
			slog.String("channel", b.channel), slog.Any("error", err))
		// Notifications may have been missed: let every waiter look again.
		b.orchestrations.Signal()
		b.activities.Signal()
		t := time.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// listenOnce holds one connection listening on the hub's channel until it
// fails or ctx ends.
func (b *Backend) listenOnce(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, b.connConfig)
	if err != nil {
		return fmt.Errorf("connect listener: %w", err)
	}
	defer func() {
		// The listener's context may be over; closing needs one of its own.
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := conn.Close(closeCtx); err != nil {
			b.log.Warn("close task hub listener", slog.Any("error", err))
		}
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{b.channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen on %s: %w", b.channel, err)
	}
	// Work may have arrived while the listener was not yet connected.
	b.orchestrations.Signal()
	b.activities.Signal()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if errors.Is(err, ctx.Err()) {
				return nil
			}
			return fmt.Errorf("wait for notification: %w", err)
		}
		b.wakeLocal(work(n.Payload))
	}
}
