package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub"
)

// longPoll asks fetch for a work item until it finds one. When fetch finds
// none it also says how long until stored work becomes claimable by the
// passing of time alone (a durable timer falls due), or the poll interval
// when nothing is scheduled. Between attempts longPoll waits until wake is
// signalled (and then settle more), that delay elapses, the poll interval
// elapses, or ctx ends.
//
// The delay must come from the same look at the tables as the "none": found
// by a second query, a timer that fell due between the two was neither
// claimable at the first nor still ahead at the second, and the fetch slept
// through the whole poll interval (seen as a retry's 10 ms timer waiting 5 s;
// TestShortTimersFireOnTime). What commits after the look is no such gap: its
// writer signals wake afterwards, and wake's channel is taken before it.
//
// It never returns backend.ErrNoWorkItems: the engine's worker answers that
// with a backoff that grows to 5 s and that nothing interrupts; waiting here
// instead keeps it responsive. While the Backend is stopped it claims
// nothing and only waits: the engine stops the backend before it stops its
// workers, and a worker that got ErrNoWorkItems then could start another
// fetch just as its shutdown waits for the last (a WaitGroup reuse panic in
// the engine, seen under -race).
func longPoll[T any](ctx context.Context, b *Backend, wake taskhub.Waker, settle time.Duration,
	fetch func(context.Context) (T, time.Duration, error),
) (T, error) {
	var none T
	for {
		woken := wake.Changed()
		wait := b.opts.PollInterval
		if !b.stopped.Load() {
			wi, due, err := fetch(ctx)
			if !errors.Is(err, backend.ErrNoWorkItems) {
				return wi, err
			}
			wait = min(wait, due)
		}
		if err := sleep(ctx, woken, wait, settle); err != nil {
			return none, err
		}
	}
}

// sleep waits for d, or until woken closes and then settle more; it returns
// an error only when ctx ends first.
func sleep(ctx context.Context, woken <-chan struct{}, d, settle time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("wait for work: %w", ctx.Err())
	case <-t.C:
		return nil
	case <-woken:
	}
	t.Reset(settle)
	select {
	case <-ctx.Done():
		return fmt.Errorf("wait for work: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
