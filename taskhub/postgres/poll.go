package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub"
)

// longPoll asks fetch for a work item until it finds one, waiting between
// attempts until wake is signalled, the delay that next returns elapses (nil next:
// no such delay), the poll interval elapses, or ctx ends.
//
// It returns backend.ErrNoWorkItems only once the Backend is stopped. The
// engine's worker answers ErrNoWorkItems with a backoff that grows to 5 s and
// that nothing interrupts; waiting here instead keeps it responsive.
func longPoll[T any](ctx context.Context, b *Backend, wake taskhub.Waker, settle time.Duration,
	fetch func(context.Context) (T, error),
	next func(context.Context) (time.Duration, error),
) (T, error) {
	var none T
	for {
		woken := wake.Changed()
		wi, err := fetch(ctx)
		if !errors.Is(err, backend.ErrNoWorkItems) || b.stopped.Load() {
			return wi, err
		}
		wait := b.opts.PollInterval
		if next != nil {
			d, err := next(ctx)
			if err != nil {
				return none, err
			}
			wait = min(wait, d)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return none, fmt.Errorf("wait for work: %w", ctx.Err())
		case <-woken:
			t.Reset(settle)
			select {
			case <-ctx.Done():
				t.Stop()
				return none, fmt.Errorf("wait for work: %w", ctx.Err())
			case <-t.C:
			}
		case <-t.C:
		}
		t.Stop()
	}
}
