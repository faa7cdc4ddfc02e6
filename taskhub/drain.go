package taskhub

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// The engine's StopAndDrain cancels the context of the work items still in
// flight before it waits for them: an activity half way through a send is
// cancelled, and its result, even when it arrives, cannot be saved with a
// cancelled context, so it runs again after a restart. drainExecutor and
// drainBackend run a work item, and the calls that load and save it, on a
// context of their own that ends only when the hub's hard stop does
// (Shutdown's deadline passed), so Shutdown lets in-flight work finish.

// detach returns a context with ctx's values that ends when hard ends, not
// when ctx does.
func detach(ctx, hard context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(hard, cancel)
	return c, func() {
		stop()
		cancel()
	}
}

// detached runs f on a context from detach.
func detached(ctx, hard context.Context, f func(context.Context) error) error {
	ctx, cancel := detach(ctx, hard)
	defer cancel()
	return f(ctx)
}

// drainExecutor runs orchestrators and activities on detached contexts.
type drainExecutor struct {
	backend.Executor
	hard context.Context
}

// ExecuteOrchestrator implements backend.Executor.
func (d drainExecutor) ExecuteOrchestrator(ctx context.Context, id api.InstanceID, oldEvents, newEvents []*backend.HistoryEvent) (res *backend.ExecutionResults, err error) {
	err = detached(ctx, d.hard, func(ctx context.Context) error {
		res, err = d.Executor.ExecuteOrchestrator(ctx, id, oldEvents, newEvents)
		return err
	})
	return res, err
}

// ExecuteActivity implements backend.Executor.
func (d drainExecutor) ExecuteActivity(ctx context.Context, id api.InstanceID, e *backend.HistoryEvent) (res *backend.HistoryEvent, err error) {
	err = detached(ctx, d.hard, func(ctx context.Context) error {
		res, err = d.Executor.ExecuteActivity(ctx, id, e)
		return err
	})
	return res, err
}

// drainBackend loads, completes and abandons work items on detached contexts. A result that
// cannot be saved for a full disk it offers again for up to fullWait (retryWhileFull).
type drainBackend struct {
	backend.Backend
	hard     context.Context
	fullWait time.Duration
	log      *slog.Logger
}

// GetOrchestrationRuntimeState implements backend.Backend.
func (d *drainBackend) GetOrchestrationRuntimeState(ctx context.Context, wi *backend.OrchestrationWorkItem) (state *backend.OrchestrationRuntimeState, err error) {
	err = detached(ctx, d.hard, func(ctx context.Context) error {
		state, err = d.Backend.GetOrchestrationRuntimeState(ctx, wi)
		return err
	})
	return state, err
}

// CompleteOrchestrationWorkItem implements backend.Backend.
func (d *drainBackend) CompleteOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	return detached(ctx, d.hard, func(ctx context.Context) error {
		return retryWhileFull(ctx, d.log, "orchestration "+string(wi.InstanceID), d.fullWait, func(ctx context.Context) error {
			return d.Backend.CompleteOrchestrationWorkItem(ctx, wi)
		})
	})
}

// AbandonOrchestrationWorkItem implements backend.Backend.
func (d *drainBackend) AbandonOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	return detached(ctx, d.hard, func(ctx context.Context) error { return d.Backend.AbandonOrchestrationWorkItem(ctx, wi) })
}

// CompleteActivityWorkItem implements backend.Backend.
func (d *drainBackend) CompleteActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	return detached(ctx, d.hard, func(ctx context.Context) error {
		return retryWhileFull(ctx, d.log, "activity of "+string(wi.InstanceID), d.fullWait, func(ctx context.Context) error {
			return d.Backend.CompleteActivityWorkItem(ctx, wi)
		})
	})
}

// AbandonActivityWorkItem implements backend.Backend.
func (d *drainBackend) AbandonActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	return detached(ctx, d.hard, func(ctx context.Context) error { return d.Backend.AbandonActivityWorkItem(ctx, wi) })
}

// String names the decorated backend in the engine's logs.
func (d *drainBackend) String() string {
	return fmt.Sprintf("drain(%v)", d.Backend)
}
