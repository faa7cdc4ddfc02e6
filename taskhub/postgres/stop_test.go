package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub"
	"membership/taskhub/postgres"
	"membership/taskhub/taskhubtest"
)

// TestStopPausesFetching: after Stop, waiting fetches claim nothing (the
// engine stops the backend before its workers) and end with their context;
// a new Start lets them claim again.
func TestStopPausesFetching(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	b := open(t, schema, postgres.Options{PollInterval: 50 * time.Millisecond})
	ctx := context.Background()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := b.Start(ctx); !errors.Is(err, backend.ErrBackendAlreadyStarted) {
		t.Errorf("second start: error %v, want %v", err, backend.ErrBackendAlreadyStarted)
	}
	if err := b.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	id := startAny(t, open(t, schema, postgres.Options{}))
	fetches := map[string]func(context.Context) error{
		"orchestration": func(ctx context.Context) error { _, err := b.GetOrchestrationWorkItem(ctx); return err },
		"activity":      func(ctx context.Context) error { _, err := b.GetActivityWorkItem(ctx); return err },
	}
	for name, fetch := range fetches {
		if err := fetch(within(t, 300*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s fetch of a stopped backend: error %v, want %v", name, err, context.DeadlineExceeded)
		}
	}
	got := make(chan *backend.OrchestrationWorkItem, 1)
	go func() {
		wi, _ := b.GetOrchestrationWorkItem(within(t, 10*time.Second))
		got <- wi
	}()
	if err := b.Start(ctx); err != nil {
		t.Fatalf("start again: %v", err)
	}
	if wi := <-got; wi == nil || wi.InstanceID != id {
		t.Errorf("after a new start the waiting fetch got %v, want the work item of %s", wi, id)
	}
}

// TestStopReleasesPrefetchedTasks: tasks claimed ahead of the worker's
// asking go back to the queue at Stop, for another process to take at once
// rather than after their lock timeout.
func TestStopReleasesPrefetchedTasks(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	opts := postgres.Options{ActivityPrefetch: 4, PollInterval: 50 * time.Millisecond}
	stopping, other := open(t, schema, opts), open(t, schema, opts)
	queueActivities(t, stopping, 3)
	first := claim(t, "claim", stopping.GetActivityWorkItem)
	if wi, err := other.GetActivityWorkItem(within(t, 200*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("other process claimed %v (error %v) before the stop; want all three tasks claimed by one claim", wi, err)
	}
	if err := stopping.Stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	seen := map[int64]bool{first.SequenceNumber: true}
	for range 2 {
		wi, err := other.GetActivityWorkItem(within(t, 5*time.Second))
		if err != nil {
			t.Fatalf("claim after the stop: %v", err)
		}
		if seen[wi.SequenceNumber] {
			t.Errorf("task %d handed out twice", wi.SequenceNumber)
		}
		seen[wi.SequenceNumber] = true
	}
}

// TestHub runs the backend the way cmd wires it: through taskhub.Open with
// NewForHub, a schema chosen by the DSN's search_path.
func TestHub(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	conn := connect(t, "public")
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	dsn, err := url.Parse(serverURL())
	if err != nil {
		t.Fatalf("server URL: %v", err)
	}
	q := dsn.Query()
	q.Set("search_path", schema)
	dsn.RawQuery = q.Encode()
	h, err := taskhub.Open(ctx, taskhub.Options{
		Backend:     taskhub.BackendPostgres,
		DSN:         dsn.String(),
		NewPostgres: postgres.NewForHub,
	}, taskhubtest.Logger())
	if err != nil {
		t.Fatalf("open hub: %v", err)
	}
	x := taskhubtest.NewExecutions()
	r := task.NewTaskRegistry()
	if err := taskhubtest.RegisterFanOut(r, x); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(ctx, r); err != nil {
		t.Fatalf("start hub: %v", err)
	}
	id, err := h.Client().ScheduleNewOrchestration(ctx, taskhubtest.FanOutOrchestrator,
		api.WithInput(taskhubtest.FanOutInput{Activities: 30, BatchSize: 10}))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	md := taskhubtest.WaitDone(t, h.Client(), id, time.Minute)
	if md.SerializedOutput != "30" || x.Calls() != 30 {
		t.Errorf("output %s after %d calls, want 30 after 30", md.SerializedOutput, x.Calls())
	}
	if err := h.Shutdown(ctx); err != nil {
		t.Fatalf("shut down hub: %v", err)
	}
	if err := h.Backend().CreateTaskHub(ctx); err == nil {
		t.Error("backend still usable after the hub shut down; want its pool closed")
	}
}
