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

// bit is w's bit in Backend.pending.
func (w work) bit() uint32 {
	if w == orchestrationWork {
		return 1
	}
	return 2
}

// announce tells the fetches waiting for w, at once in this process and
// through the notifier in every other.
//
// Writes do not NOTIFY inside their own transaction: PostgreSQL serialises
// the commits of all notifying transactions of a database behind one lock,
// held through the WAL flush, and measured here that made every completion
// take 13 ms instead of 4 once four ran at once. A separate notifier sends
// them after the commit instead, and sends the announcements that pile up
// meanwhile as one.
func (b *Backend) announce(w work) {
	b.wake(w)
	b.pending.Or(w.bit())
	select {
	case b.poke <- struct{}{}:
	default: // the notifier has been poked already
	}
}

// wake wakes this process's fetches waiting for w.
func (b *Backend) wake(w work) {
	switch w {
	case orchestrationWork:
		b.orchestrations.Signal()
	case activityWork:
		b.activities.Signal()
	}
}

// notify sends the pending announcements whenever poked, until ctx ends; then
// it sends what remains, so that a Close right after a write still tells the
// other processes.
func (b *Backend) notify(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			last, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			b.sendPending(last)
			return
		case <-b.poke:
			b.sendPending(ctx)
		}
	}
}

// sendPending sends one NOTIFY per kind of work announced since the last
// call. A failure is only logged: the other processes' poll interval still
// bounds how late they notice the work.
func (b *Backend) sendPending(ctx context.Context) {
	bits := b.pending.Swap(0)
	if bits == 0 {
		return
	}
	var payloads []string
	for _, w := range [...]work{orchestrationWork, activityWork} {
		if bits&w.bit() != 0 {
			payloads = append(payloads, string(w))
		}
	}
	_, err := b.pool.Exec(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", b.channel, payloads)
	if err != nil && ctx.Err() == nil {
		b.log.Warn("notify other processes of new work", slog.String("channel", b.channel), slog.Any("error", err))
	}
}

// listen relays the hub's notifications, from every process (this one
// included, which costs a wasted look), to this process's waiting fetches until ctx ends. A lost connection is
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
		b.wake(work(n.Payload))
	}
}
