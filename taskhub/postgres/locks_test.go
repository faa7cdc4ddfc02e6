package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub/postgres"
	"membership/taskhub/taskhubtest"
)

// shortLocks expire fast and are noticed fast, for tests of lock expiry.
var shortLocks = postgres.Options{LockTimeout: 300 * time.Millisecond, PollInterval: 50 * time.Millisecond}

// queueActivities starts a fan-out of n calls and runs only its first
// orchestration step, so that n activity tasks wait in the task hub. It
// returns the registry whose activities can execute them.
func queueActivities(t *testing.T, be backend.Backend, n int) *task.TaskRegistry {
	t.Helper()
	r := task.NewTaskRegistry()
	if err := taskhubtest.RegisterFanOut(r, taskhubtest.NewExecutions()); err != nil {
		t.Fatal(err)
	}
	c := backend.NewTaskHubClient(be)
	id, err := c.ScheduleNewOrchestration(context.Background(), taskhubtest.FanOutOrchestrator,
		api.WithInput(taskhubtest.FanOutInput{Activities: n}))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	// The worker is fed by hand, not by its Start: that loop may still be
	// fetching, and so adding to the WaitGroup, while StopAndDrain waits on
	// it (a data race in durabletask-go v0.6.0, backend/worker.go:111 against
	// backend/taskhub.go:66). The start event is the only orchestration work
	// there is. StopAndDrain comes after the step is saved, because a work
	// item that has not begun when it is called is abandoned.
	w := backend.NewOrchestrationWorker(be, task.NewTaskExecutor(r), taskhubtest.EngineLogger(taskhubtest.Logger()))
	ctx := within(t, 30*time.Second)
	for ok := false; !ok; {
		if ok, err = w.ProcessNext(ctx); err != nil {
			t.Fatalf("run the first orchestration step: %v", err)
		}
	}
	taskhubtest.WaitStatus(t, c, id, 30*time.Second, api.RUNTIME_STATUS_RUNNING)
	w.StopAndDrain()
	return r
}

// claim fetches a work item within 10 s, or fails the test.
func claim[T any](t *testing.T, what string, fetch func(context.Context) (T, error)) T {
	t.Helper()
	wi, err := fetch(within(t, 10*time.Second))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return wi
}

// startAny starts an orchestration of no registered name through be: its
// start event is orchestration work to claim.
func startAny(t *testing.T, be backend.Backend) api.InstanceID {
	t.Helper()
	id, err := backend.NewTaskHubClient(be).ScheduleNewOrchestration(context.Background(), "AnyName")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return id
}

// within gives a fetch a deadline.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestExpiredOrchestrationLock: once another process has taken over an
// instance whose lock expired, the old holder can neither complete nor
// abandon its work item.
func TestExpiredOrchestrationLock(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		use  func(context.Context, backend.Backend, *backend.OrchestrationWorkItem) error
	}{
		{"complete", func(ctx context.Context, be backend.Backend, wi *backend.OrchestrationWorkItem) error {
			state, err := be.GetOrchestrationRuntimeState(ctx, wi)
			if err != nil {
				return err
			}
			wi.State = state
			return be.CompleteOrchestrationWorkItem(ctx, wi)
		}},
		{"abandon", func(ctx context.Context, be backend.Backend, wi *backend.OrchestrationWorkItem) error {
			return be.AbandonOrchestrationWorkItem(ctx, wi)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			schema := newSchema(t)
			old, next := open(t, schema, shortLocks), open(t, schema, shortLocks)
			ctx := context.Background()
			startAny(t, old)
			stale := claim(t, "first claim", old.GetOrchestrationWorkItem)
			taken := claim(t, "claim after expiry", next.GetOrchestrationWorkItem)
			if stale.InstanceID != taken.InstanceID || len(taken.NewEvents) != len(stale.NewEvents) {
				t.Fatalf("took over %s with %d events, want %s with %d", taken.InstanceID, len(taken.NewEvents), stale.InstanceID, len(stale.NewEvents))
			}
			if err := tc.use(ctx, old, stale); !errors.Is(err, backend.ErrWorkItemLockLost) {
				t.Errorf("old holder: error %v, want %v", err, backend.ErrWorkItemLockLost)
			}
			if err := tc.use(ctx, next, taken); err != nil {
				t.Errorf("new holder: %v", err)
			}
		})
	}
}

// TestExpiredActivityLock: the same for activity work items, whose lock has
// a timeout of its own.
func TestExpiredActivityLock(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		use  func(backend.Backend, context.Context, *backend.ActivityWorkItem) error
	}{
		{"complete", backend.Backend.CompleteActivityWorkItem},
		{"abandon", backend.Backend.AbandonActivityWorkItem},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			schema := newSchema(t)
			// The orchestration lock is long: only the activity timeout may
			// let the task go.
			opts := shortLocks
			opts.LockTimeout, opts.ActivityLockTimeout = time.Hour, 300*time.Millisecond
			old, next := open(t, schema, opts), open(t, schema, opts)
			r := queueActivities(t, old, 1)
			ctx := context.Background()
			stale := claim(t, "first claim", old.GetActivityWorkItem)
			taken := claim(t, "claim after expiry", next.GetActivityWorkItem)
			if stale.SequenceNumber != taken.SequenceNumber {
				t.Fatalf("took over task %d, want %d", taken.SequenceNumber, stale.SequenceNumber)
			}
			ex := task.NewTaskExecutor(r)
			for _, wi := range []*backend.ActivityWorkItem{stale, taken} {
				result, err := ex.ExecuteActivity(ctx, wi.InstanceID, wi.NewEvent)
				if err != nil {
					t.Fatalf("execute: %v", err)
				}
				wi.Result = result
			}
			if err := tc.use(old, ctx, stale); !errors.Is(err, backend.ErrWorkItemLockLost) {
				t.Errorf("old holder: error %v, want %v", err, backend.ErrWorkItemLockLost)
			}
			if err := tc.use(next, ctx, taken); err != nil {
				t.Errorf("new holder: %v", err)
			}
		})
	}
}

// TestLiveLocksAreRenewed: a running process keeps its locks however long
// its work takes; no other process gets the work items meanwhile.
func TestLiveLocksAreRenewed(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	// Renewal every third of the timeout: generous enough for a loaded machine.
	opts := postgres.Options{LockTimeout: 2 * time.Second, PollInterval: 50 * time.Millisecond}
	holder, other := open(t, schema, opts), open(t, schema, opts)
	queueActivities(t, holder, 1)
	startAny(t, holder)
	if err := holder.Start(context.Background()); err != nil {
		t.Fatalf("start renewal: %v", err)
	}
	activity := claim(t, "claim activity", holder.GetActivityWorkItem)
	orchestration := claim(t, "claim orchestration", holder.GetOrchestrationWorkItem)
	// Half a lock timeout beyond the expiry the locks would have without
	// renewal.
	time.Sleep(opts.LockTimeout * 3 / 2)
	if wi, err := other.GetActivityWorkItem(within(t, time.Second)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("other process claimed activity %v (error %v) while its holder lives", wi, err)
	}
	if wi, err := other.GetOrchestrationWorkItem(within(t, time.Second)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("other process claimed orchestration %v (error %v) while its holder lives", wi, err)
	}
	if err := holder.AbandonActivityWorkItem(context.Background(), activity); err != nil {
		t.Errorf("holder abandons activity: %v", err)
	}
	if err := holder.AbandonOrchestrationWorkItem(context.Background(), orchestration); err != nil {
		t.Errorf("holder abandons orchestration: %v", err)
	}
}
