package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub"
)

// longPoll asks fetch for a work item until it finds one. Between attempts
// it waits until wake is signalled (and then settle more), the delay that
// next returns elapses (nil next: no such delay), the poll interval elapses,
// or ctx ends.
//
// It never returns backend.ErrNoWorkItems: the engine's worker answers that
// with a backoff that grows to 5 s and that nothing interrupts; waiting here
// instead keeps it responsive. While the Backend is stopped it claims
// nothing and only waits: the engine stops the backend before it stops its
// workers, and a worker that got ErrNoWorkItems then could start another
// fetch just as its shutdown waits for the last (a WaitGroup reuse panic in
// the engine, seen under -race).
func longPoll[T any](ctx context.Context, b *Backend, wake taskhub.Waker, settle time.Duration,
	fetch func(context.Context) (T, error),
	next func(context.Context) (time.Duration, error),
) (T, error) {
	var none T
	for {
		woken := wake.Changed()
		wait := b.opts.PollInterval
		if !b.stopped.Load() {
			wi, err := fetch(ctx)
			if !errors.Is(err, backend.ErrNoWorkItems) {
				return wi, err
			}
			if next != nil {
				d, err := next(ctx)
				if err != nil {
					return none, err
				}
				wait = min(wait, d)
			}
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
