package taskhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// longPoll decorates a backend whose fetches answer ErrNoWorkItems at once
// (the engine's SQLite backend) so that they block until work may exist.
//
// The engine's worker answers ErrNoWorkItems with a backoff that grows to
// 5 s, and any fetch error with 5 s more; a fetch that never returns empty
// keeps the worker from sleeping, so an event is acted on as soon as it is
// stored.
type longPoll struct {
	backend.Backend
	wake   Waker
	timers TimerSource // nil: notice due timers at the next poll only
	// poll bounds each wait: it covers work that no Signal announces (written
	// by another process, or freed by an expired lock).
	poll time.Duration
	log  *slog.Logger
}

// NewLongPoll returns be with GetOrchestrationWorkItem and
// GetActivityWorkItem that do not return backend.ErrNoWorkItems: with no
// work, they wait until w is signalled, until the next time timers reports is
// due, until poll elapses, or until ctx ends (then they return ctx's error),
// and ask be again. Every write through the returned backend that can
// create work signals w. timers may be nil.
func NewLongPoll(be backend.Backend, w Waker, timers TimerSource, poll time.Duration, log *slog.Logger) backend.Backend {
	return &longPoll{Backend: be, wake: w, timers: timers, poll: poll, log: log}
}

// GetOrchestrationWorkItem implements backend.Backend.
func (l *longPoll) GetOrchestrationWorkItem(ctx context.Context) (*backend.OrchestrationWorkItem, error) {
	return fetch(ctx, l, l.Backend.GetOrchestrationWorkItem)
}

// GetActivityWorkItem implements backend.Backend.
func (l *longPoll) GetActivityWorkItem(ctx context.Context) (*backend.ActivityWorkItem, error) {
	return fetch(ctx, l, l.Backend.GetActivityWorkItem)
}

// fetch asks get until it answers something other than ErrNoWorkItems.
func fetch[T any](ctx context.Context, l *longPoll, get func(context.Context) (T, error)) (T, error) {
	for {
		// Taken before the question, so a signal sent while the store
		// answers "nothing" still ends the wait below.
		changed := l.wake.Changed()
		wi, err := get(ctx)
		if !errors.Is(err, backend.ErrNoWorkItems) {
			return wi, err
		}
		if err := l.wait(ctx, changed); err != nil {
			var none T
			return none, err
		}
	}
}

// wait blocks until changed closes, the next timer is due, the poll interval
// elapses or ctx ends.
func (l *longPoll) wait(ctx context.Context, changed <-chan struct{}) error {
	select {
	case <-changed:
		return nil
	default:
	}
	d := l.poll
	if l.timers != nil {
		due, ok, err := l.timers.NextDue(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("wait for work: %w", ctx.Err())
		case err != nil:
			// Returning the error would cost the worker a 5 s penalty; the
			// poll interval still bounds how late a timer can fire.
			l.log.Warn("look up next durable timer", slog.Any("error", err))
		case ok:
			d = min(d, time.Until(due))
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-changed:
	case <-t.C:
	case <-ctx.Done():
		return fmt.Errorf("wait for work: %w", ctx.Err())
	}
	return nil
}

// CreateOrchestrationInstance implements backend.Backend.
func (l *longPoll) CreateOrchestrationInstance(ctx context.Context, e *backend.HistoryEvent, opts ...backend.OrchestrationIdReusePolicyOptions) error {
	defer l.wake.Signal()
	return l.Backend.CreateOrchestrationInstance(ctx, e, opts...)
}

// AddNewOrchestrationEvent implements backend.Backend.
func (l *longPoll) AddNewOrchestrationEvent(ctx context.Context, id api.InstanceID, e *backend.HistoryEvent) error {
	defer l.wake.Signal()
	return l.Backend.AddNewOrchestrationEvent(ctx, id, e)
}

// CompleteOrchestrationWorkItem implements backend.Backend. Completion stores
// new activity tasks, timers, sub-orchestrations and events, and unlocks the
// instance, whose events that arrived meanwhile become fetchable.
func (l *longPoll) CompleteOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	defer l.wake.Signal()
	return l.Backend.CompleteOrchestrationWorkItem(ctx, wi)
}

// AbandonOrchestrationWorkItem implements backend.Backend.
func (l *longPoll) AbandonOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	defer l.wake.Signal()
	return l.Backend.AbandonOrchestrationWorkItem(ctx, wi)
}

// CompleteActivityWorkItem implements backend.Backend.
func (l *longPoll) CompleteActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	defer l.wake.Signal()
	return l.Backend.CompleteActivityWorkItem(ctx, wi)
}

// AbandonActivityWorkItem implements backend.Backend.
func (l *longPoll) AbandonActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	defer l.wake.Signal()
	return l.Backend.AbandonActivityWorkItem(ctx, wi)
}

// String names the decorated backend in the engine's logs.
func (l *longPoll) String() string {
	return fmt.Sprintf("longpoll(%v)", l.Backend)
}
