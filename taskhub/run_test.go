package taskhub

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// blockingWork returns a registry whose orchestration "Slow" runs the
// activity "Block": it reports its start on started, then waits for release
// or for its context to end, and tells on ended whether its context ended.
func blockingWork(t *testing.T, runs *atomic.Int64, started chan<- struct{}, release <-chan struct{}, ended chan<- error) *task.TaskRegistry {
	return registry(t,
		map[string]task.Orchestrator{"Slow": func(ctx *task.OrchestrationContext) (any, error) {
			var out string
			err := ctx.CallActivity("Block").Await(&out)
			return out, err
		}},
		map[string]task.Activity{"Block": func(ctx task.ActivityContext) (any, error) {
			runs.Add(1)
			if started == nil {
				return "finished", nil
			}
			started <- struct{}{}
			select {
			case <-release:
			case <-ctx.Context().Done():
			}
			err := ctx.Context().Err()
			ended <- err
			return "finished", err
		}})
}

func TestShutdownLetsWorkInFlightFinish(t *testing.T) {
	dsn := testDSN(t)
	h, err := Open(t.Context(), Options{DSN: dsn}, testLog(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var runs atomic.Int64
	started, release, ended := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	startHub(t, h, blockingWork(t, &runs, started, release, ended))
	id := schedule(t, h.Client(), "Slow", nil)
	<-started

	shut := make(chan error)
	go func() { shut <- h.Shutdown(context.Background()) }()
	<-h.stopping
	close(release)
	if err := <-ended; err != nil {
		t.Errorf("activity context ended during drain: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	// The result was saved before the store closed: a new hub finishes the
	// orchestration without running the activity again.
	h2 := openTestHub(t, Options{DSN: dsn})
	startHub(t, h2, blockingWork(t, &runs, nil, nil, nil))
	wantCompleted(t, awaitCompletion(t, h2.Client(), id, 20*time.Second), "finished")
	if n := runs.Load(); n != 1 {
		t.Errorf("activity ran %d times, want 1", n)
	}
}

func TestShutdownDeadlineCancelsWorkInFlight(t *testing.T) {
	// The cancelled work item fails to save after Shutdown has returned and
	// the engine logs that; t's log would be gone by then.
	h, err := Open(t.Context(), Options{DSN: testDSN(t)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var runs atomic.Int64
	started, ended := make(chan struct{}), make(chan error, 1)
	startHub(t, h, blockingWork(t, &runs, started, nil, ended))
	schedule(t, h.Client(), "Slow", nil)
	<-started

	expired, cancel := context.WithCancel(t.Context())
	cancel()
	if err := h.Shutdown(expired); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v, want context.Canceled", err)
	}
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Errorf("activity context: %v, want it cancelled", err)
	}
}

func TestDetach(t *testing.T) {
	type key struct{}
	tests := []struct {
		name       string
		cancelCtx  bool
		cancelHard bool
		wantDone   bool
	}{
		{"caller cancels: keeps running", true, false, false},
		{"hard stop: ends", false, true, true},
		{"neither", false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancelCtx := context.WithCancel(context.WithValue(t.Context(), key{}, "v"))
			defer cancelCtx()
			hard, cancelHard := context.WithCancel(t.Context())
			defer cancelHard()
			d, done := detach(ctx, hard)
			defer done()
			if tc.cancelCtx {
				cancelCtx()
			}
			if tc.cancelHard {
				cancelHard()
				<-d.Done() // AfterFunc runs in its own goroutine
			}
			if got := d.Err() != nil; got != tc.wantDone {
				t.Errorf("detached context ended = %v, want %v", got, tc.wantDone)
			}
			if d.Value(key{}) != "v" {
				t.Error("detached context lost the caller's values")
			}
		})
	}
}
