package taskhub

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
	"google.golang.org/protobuf/encoding/protojson"
)

// fakeStore answers activity fetches from a script and accepts every write.
type fakeStore struct {
	backend.Backend // nil: calling anything not overridden panics
	fetches         int
	answer          func(call int) (*backend.ActivityWorkItem, error)
}

func (f *fakeStore) GetActivityWorkItem(context.Context) (*backend.ActivityWorkItem, error) {
	f.fetches++
	return f.answer(f.fetches)
}

func (f *fakeStore) CreateOrchestrationInstance(context.Context, *backend.HistoryEvent, ...backend.OrchestrationIdReusePolicyOptions) error {
	return nil
}

func (f *fakeStore) AddNewOrchestrationEvent(context.Context, api.InstanceID, *backend.HistoryEvent) error {
	return nil
}

func (f *fakeStore) CompleteOrchestrationWorkItem(context.Context, *backend.OrchestrationWorkItem) error {
	return nil
}

func (f *fakeStore) AbandonOrchestrationWorkItem(context.Context, *backend.OrchestrationWorkItem) error {
	return nil
}

func (f *fakeStore) CompleteActivityWorkItem(context.Context, *backend.ActivityWorkItem) error {
	return nil
}

func (f *fakeStore) AbandonActivityWorkItem(context.Context, *backend.ActivityWorkItem) error {
	return errors.New("lock lost")
}

// fakeTimers reports one due time, or an error.
type fakeTimers struct {
	in  time.Duration
	err error
}

func (f fakeTimers) NextDue(context.Context, time.Time) (time.Time, bool, error) {
	return time.Now().Add(f.in), f.err == nil && f.in > 0, f.err
}

func TestLongPollFetch(t *testing.T) {
	item := &backend.ActivityWorkItem{SequenceNumber: 7}
	broken := errors.New("disk on fire")
	// The polls and timers are an hour long unless a case depends on them,
	// so a lost wake-up shows as the guard deadline below.
	tests := []struct {
		name string
		// answer scripts the store; wake and cancel act on the poller.
		answer      func(call int, wake Waker, cancel context.CancelFunc) (*backend.ActivityWorkItem, error)
		timers      TimerSource
		poll        time.Duration
		settle      time.Duration
		within      time.Duration // the guard deadline; default 10 s
		wantErr     error
		wantFetches int
	}{
		{
			name:   "signal while the store answers empty",
			answer: signalThenItem(item),
			poll:   time.Hour, wantFetches: 2,
		},
		{
			name:   "signals right after a question: settles before the next",
			answer: signalThenItem(item),
			poll:   time.Hour, settle: time.Hour, within: 100 * time.Millisecond,
			wantErr: context.DeadlineExceeded, wantFetches: 1,
		},
		{
			name:   "next timer due",
			answer: emptyThenItem(item),
			timers: fakeTimers{in: 20 * time.Millisecond},
			poll:   time.Hour, wantFetches: 2,
		},
		{
			name:   "timer lookup fails: poll interval",
			answer: emptyThenItem(item),
			timers: fakeTimers{err: broken},
			poll:   20 * time.Millisecond, wantFetches: 2,
		},
		{
			name: "context ends",
			answer: func(_ int, _ Waker, cancel context.CancelFunc) (*backend.ActivityWorkItem, error) {
				cancel()
				return nil, backend.ErrNoWorkItems
			},
			poll: time.Hour, wantErr: context.Canceled, wantFetches: 1,
		},
		{
			name: "store error passes through",
			answer: func(int, Waker, context.CancelFunc) (*backend.ActivityWorkItem, error) {
				return nil, broken
			},
			poll: time.Hour, wantErr: broken, wantFetches: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			within := tc.within
			if within == 0 {
				within = 10 * time.Second
			}
			ctx, cancel := context.WithTimeout(t.Context(), within)
			defer cancel()
			wake := NewBroadcast()
			store := &fakeStore{}
			store.answer = func(call int) (*backend.ActivityWorkItem, error) { return tc.answer(call, wake, cancel) }
			lp := newLongPoll(store, queue{wake: NewBroadcast(), poll: time.Hour},
				queue{wake: wake, timers: tc.timers, poll: tc.poll, settle: tc.settle}, testLog(t))

			got, err := lp.GetActivityWorkItem(ctx)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && got != item {
				t.Errorf("work item = %v, want %v", got, item)
			}
			if store.fetches != tc.wantFetches {
				t.Errorf("store asked %d times, want %d", store.fetches, tc.wantFetches)
			}
		})
	}
}

// signalThenItem answers the first question empty, signalling as it does,
// like a write landing while the store answers.
func signalThenItem(item *backend.ActivityWorkItem) func(int, Waker, context.CancelFunc) (*backend.ActivityWorkItem, error) {
	return func(call int, wake Waker, _ context.CancelFunc) (*backend.ActivityWorkItem, error) {
		if call == 1 {
			wake.Signal()
			return nil, backend.ErrNoWorkItems
		}
		return item, nil
	}
}

// emptyThenItem answers the first question empty and the second with item.
func emptyThenItem(item *backend.ActivityWorkItem) func(int, Waker, context.CancelFunc) (*backend.ActivityWorkItem, error) {
	return func(call int, _ Waker, _ context.CancelFunc) (*backend.ActivityWorkItem, error) {
		if call == 1 {
			return nil, backend.ErrNoWorkItems
		}
		return item, nil
	}
}

func TestLongPollWritesSignal(t *testing.T) {
	ctx := t.Context()
	withTasks := stepSchedulingActivity(t)
	tests := []struct {
		name                               string
		write                              func(be backend.Backend) error
		wantOrchestrations, wantActivities bool
	}{
		{"create instance", func(be backend.Backend) error { return be.CreateOrchestrationInstance(ctx, nil) }, true, false},
		{"add event", func(be backend.Backend) error { return be.AddNewOrchestrationEvent(ctx, "i", nil) }, true, false},
		{"complete orchestration step", func(be backend.Backend) error {
			return be.CompleteOrchestrationWorkItem(ctx, &backend.OrchestrationWorkItem{})
		}, true, false},
		{"complete orchestration step scheduling activities", func(be backend.Backend) error {
			return be.CompleteOrchestrationWorkItem(ctx, withTasks)
		}, true, true},
		{"abandon orchestration", func(be backend.Backend) error { return be.AbandonOrchestrationWorkItem(ctx, nil) }, true, false},
		{"complete activity", func(be backend.Backend) error { return be.CompleteActivityWorkItem(ctx, nil) }, true, false},
		{"abandon activity, failing", func(be backend.Backend) error {
			_ = be.AbandonActivityWorkItem(ctx, nil) // signals even so: the item may still be there
			return nil
		}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orchestrations, activities := NewBroadcast(), NewBroadcast()
			lp := newLongPoll(&fakeStore{}, queue{wake: orchestrations, poll: time.Hour},
				queue{wake: activities, poll: time.Hour}, testLog(t))
			orchChanged, actChanged := orchestrations.Changed(), activities.Changed()
			if err := tc.write(lp); err != nil {
				t.Fatalf("write: %v", err)
			}
			if got := isClosed(orchChanged); got != tc.wantOrchestrations {
				t.Errorf("orchestration fetches woken = %v, want %v", got, tc.wantOrchestrations)
			}
			if got := isClosed(actChanged); got != tc.wantActivities {
				t.Errorf("activity fetches woken = %v, want %v", got, tc.wantActivities)
			}
		})
	}
}

// stepSchedulingActivity is the first step of greet, which schedules the
// activity Hello, as the engine hands it to CompleteOrchestrationWorkItem.
func stepSchedulingActivity(t *testing.T) *backend.OrchestrationWorkItem {
	t.Helper()
	// The event types are internal to the engine; protojson reaches them.
	started := &backend.HistoryEvent{}
	const startedJSON = `{"eventId": -1, "timestamp": "2026-01-01T00:00:00Z", "executionStarted":
		{"name": "Greet", "orchestrationInstance": {"instanceId": "i"}, "input": "\"World\""}}`
	if err := protojson.Unmarshal([]byte(startedJSON), started); err != nil {
		t.Fatalf("decode start event: %v", err)
	}
	exec := task.NewTaskExecutor(registry(t, map[string]task.Orchestrator{"Greet": greet}, nil))
	res, err := exec.ExecuteOrchestrator(t.Context(), "i", nil, []*backend.HistoryEvent{started})
	if err != nil {
		t.Fatalf("run greet: %v", err)
	}
	state := backend.NewOrchestrationRuntimeState("i", nil)
	if err := state.AddEvent(started); err != nil {
		t.Fatalf("add start event: %v", err)
	}
	if _, err := state.ApplyActions(res.Response.Actions, nil); err != nil {
		t.Fatalf("apply greet's actions: %v", err)
	}
	if n := len(state.PendingTasks()); n != 1 {
		t.Fatalf("greet's first step scheduled %d activities, want 1", n)
	}
	return &backend.OrchestrationWorkItem{InstanceID: "i", State: state}
}

// countingBackend counts the empty answers the engine's workers receive:
// each one sends a worker into its backoff.
type countingBackend struct {
	backend.Backend
	empty atomic.Int64
}

func (c *countingBackend) count(err error) {
	if errors.Is(err, backend.ErrNoWorkItems) {
		c.empty.Add(1)
	}
}

func (c *countingBackend) GetOrchestrationWorkItem(ctx context.Context) (*backend.OrchestrationWorkItem, error) {
	wi, err := c.Backend.GetOrchestrationWorkItem(ctx)
	c.count(err)
	return wi, err
}

func (c *countingBackend) GetActivityWorkItem(ctx context.Context) (*backend.ActivityWorkItem, error) {
	wi, err := c.Backend.GetActivityWorkItem(ctx)
	c.count(err)
	return wi, err
}

// An hour-long poll interval leaves the signal (or the timer) as the only
// way to wake the idle workers within the bounds below.
const noPolling = time.Hour

func TestIdleWorkerWakesOnEvent(t *testing.T) {
	t.Parallel()
	h := openTestHub(t, Options{PollInterval: noPolling})
	counter := &countingBackend{Backend: h.be}
	h.be = counter
	startHub(t, h, registry(t,
		map[string]task.Orchestrator{"AwaitEvent": awaitEvent, "Greet": greet},
		map[string]task.Activity{"Hello": hello}))

	id := schedule(t, h.Client(), "AwaitEvent", nil)
	startCtx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := h.Client().WaitForOrchestrationStart(startCtx, id); err != nil {
		t.Fatalf("instance did not start: %v", err)
	}
	// Idle for longer than the engine's worker takes to back off far.
	time.Sleep(11 * time.Second)
	if err := h.Client().RaiseEvent(t.Context(), id, "Go", api.WithEventPayload("went")); err != nil {
		t.Fatalf("raise event: %v", err)
	}
	wantCompleted(t, awaitCompletion(t, h.Client(), id, 10*time.Second), "went")
	// Activities too, after the long idle.
	wantCompleted(t, awaitCompletion(t, h.Client(), schedule(t, h.Client(), "Greet", "again"), 10*time.Second), "Hello, again!")
	if n := counter.empty.Load(); n != 0 {
		t.Errorf("workers received %d empty answers, want 0 (each costs a backoff)", n)
	}
}

func TestTimersFireWithoutPolling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		orch task.Orchestrator
		want string
	}{
		{"durable timer", func(ctx *task.OrchestrationContext) (any, error) {
			if err := ctx.CreateTimer(2 * time.Second).Await(nil); err != nil {
				return nil, err
			}
			return "fired", nil
		}, "fired"},
		{"event deadline", func(ctx *task.OrchestrationContext) (any, error) {
			err := ctx.WaitForSingleEvent("Never", time.Second).Await(nil)
			if errors.Is(err, task.ErrTaskCanceled) {
				return "timed out", nil
			}
			return "woken", err
		}, "timed out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := openTestHub(t, Options{PollInterval: noPolling})
			startHub(t, h, registry(t, map[string]task.Orchestrator{"Timer": tc.orch}, nil))
			wantCompleted(t, awaitCompletion(t, h.Client(), schedule(t, h.Client(), "Timer", nil), 20*time.Second), tc.want)
		})
	}
}
