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
// 5 s (the hub's own poll loop with a pause), and any fetch error with 5 s
// more; a fetch that never returns empty keeps the worker from sleeping,
// so an event is acted on as soon as it is stored.
type longPoll struct {
	backend.Backend
	// Writers that go around the decorator (this package's instance
	// operations) signal the queues' wakers themselves.
	orchestrations queue
	activities     queue
	log            *slog.Logger
}

// queue is how a fetch of one kind of work item waits.
type queue struct {
	// wake is signalled by every write that can create this kind of work.
	wake Waker
	// timers, when not nil, tells when stored work becomes visible.
	timers TimerSource
	// poll bounds each wait: it covers work that no signal announces
	// (written by another process, or freed by an expired lock).
	poll time.Duration
	// settle is the least time between two questions of one fetch that
	// signals wake: while signals come fast, work gathers for the next step.
	// Without it every activity result in a fan-out runs its orchestration
	// again at once, replaying the whole history for one new event. A fetch
	// woken after a longer wait asks at once, so an idle hub reacts without
	// delay.
	settle time.Duration
}

// newLongPoll returns be with GetOrchestrationWorkItem and
// GetActivityWorkItem that do not return backend.ErrNoWorkItems: with no
// work, they wait as their queue says and ask be again, until ctx ends
// (then they return ctx's error). Writes through the returned backend
// signal the queues whose work they can create.
func newLongPoll(be backend.Backend, orchestrations, activities queue, log *slog.Logger) *longPoll {
	return &longPoll{Backend: be, orchestrations: orchestrations, activities: activities, log: log}
}

// GetOrchestrationWorkItem implements backend.Backend.
func (l *longPoll) GetOrchestrationWorkItem(ctx context.Context) (*backend.OrchestrationWorkItem, error) {
	return fetch(ctx, l.log, l.orchestrations, l.Backend.GetOrchestrationWorkItem)
}

// GetActivityWorkItem implements backend.Backend.
func (l *longPoll) GetActivityWorkItem(ctx context.Context) (*backend.ActivityWorkItem, error) {
	return fetch(ctx, l.log, l.activities, l.Backend.GetActivityWorkItem)
}

// fetch asks get until it answers something other than ErrNoWorkItems.
func fetch[T any](ctx context.Context, log *slog.Logger, q queue, get func(context.Context) (T, error)) (T, error) {
	for {
		// Taken before the question, so a signal sent while the store
		// answers "nothing" still ends the wait below.
		changed := q.wake.Changed()
		asked := time.Now()
		wi, err := get(ctx)
		if !errors.Is(err, backend.ErrNoWorkItems) {
			return wi, err
		}
		if err := q.wait(ctx, log, changed, asked); err != nil {
			var none T
			return none, err
		}
	}
}

// wait blocks until changed closes (and then until settle has passed since
// asked), the next timer after asked is due, the poll interval elapses or
// ctx ends.
//
// asked is when the fetch began to ask the store, before the store took its
// own time to compare with: a timer due after asked may have been too early
// for the question. Looked for after the time of the look instead, a timer
// that fell due between the two was in neither answer and the fetch slept a
// whole poll interval (2 to 4 in 200 timers of 0 to 20 ms were 5 s late;
// TestShortTimersFireOnTime). One the question did see but could not claim
// (its instance locked) is due already, and costs one question more.
func (q queue) wait(ctx context.Context, log *slog.Logger, changed <-chan struct{}, asked time.Time) error {
	settled := asked.Add(q.settle)
	select {
	case <-changed:
		return sleep(ctx, time.Until(settled))
	default:
	}
	d := q.poll
	if q.timers != nil {
		due, ok, err := q.timers.NextDue(ctx, asked)
		switch {
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("wait for work: %w", ctx.Err())
		case err != nil:
			// Returning the error would cost the worker a 5 s penalty; the
			// poll interval still bounds how late a timer can fire.
			log.Warn("look up next durable timer", slog.Any("error", err))
		case ok:
			d = min(d, time.Until(due))
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-changed:
		return sleep(ctx, time.Until(settled))
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for work: %w", ctx.Err())
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for work: %w", ctx.Err())
	}
}

// CreateOrchestrationInstance implements backend.Backend.
func (l *longPoll) CreateOrchestrationInstance(ctx context.Context, e *backend.HistoryEvent, opts ...backend.OrchestrationIdReusePolicyOptions) error {
	defer l.orchestrations.wake.Signal()
	return l.Backend.CreateOrchestrationInstance(ctx, e, opts...)
}

// AddNewOrchestrationEvent implements backend.Backend.
func (l *longPoll) AddNewOrchestrationEvent(ctx context.Context, id api.InstanceID, e *backend.HistoryEvent) error {
	defer l.orchestrations.wake.Signal()
	return l.Backend.AddNewOrchestrationEvent(ctx, id, e)
}

// CompleteOrchestrationWorkItem implements backend.Backend. Completion stores
// new activity tasks, sub-orchestrations and events, and unlocks the
// instance, whose events that arrived meanwhile become fetchable.
func (l *longPoll) CompleteOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	defer func() {
		l.orchestrations.wake.Signal()
		if wi != nil && wi.State != nil && len(wi.State.PendingTasks()) > 0 {
			l.activities.wake.Signal()
		}
	}()
	return l.Backend.CompleteOrchestrationWorkItem(ctx, wi)
}

// AbandonOrchestrationWorkItem implements backend.Backend.
func (l *longPoll) AbandonOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	defer l.orchestrations.wake.Signal()
	return l.Backend.AbandonOrchestrationWorkItem(ctx, wi)
}

// CompleteActivityWorkItem implements backend.Backend. The result is a new
// event for the orchestration.
func (l *longPoll) CompleteActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	defer l.orchestrations.wake.Signal()
	return l.Backend.CompleteActivityWorkItem(ctx, wi)
}

// AbandonActivityWorkItem implements backend.Backend.
func (l *longPoll) AbandonActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	defer l.activities.wake.Signal()
	return l.Backend.AbandonActivityWorkItem(ctx, wi)
}

// String names the decorated backend in the engine's logs.
func (l *longPoll) String() string {
	return fmt.Sprintf("longpoll(%v)", l.Backend)
}
