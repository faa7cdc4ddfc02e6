package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/backend"

	"membership/taskhub/postgres"
)

// TestSignalWakesOtherProcesses: after a write to the tables that bypassed
// the Backend, Signal wakes an idle fetch in another process, which would
// otherwise sleep through its whole poll interval.
func TestSignalWakesOtherProcesses(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	idle := open(t, schema, postgres.Options{PollInterval: quiet})
	writer := open(t, schema, postgres.Options{PollInterval: quiet})
	ctx := context.Background()
	id := startAny(t, writer)
	// Hide the start event for a day, so that the idle process finds nothing.
	if _, err := writer.DB().ExecContext(ctx, "UPDATE NewEvents SET VisibleTime = now() + interval '1 day'"); err != nil {
		t.Fatalf("hide event: %v", err)
	}
	if err := idle.Start(ctx); err != nil {
		t.Fatalf("start listener: %v", err)
	}
	got := make(chan *backend.OrchestrationWorkItem, 1)
	fetchErr := make(chan error, 1)
	go func() {
		wi, err := idle.GetOrchestrationWorkItem(within(t, 20*time.Second))
		got <- wi
		fetchErr <- err
	}()
	// Give the fetch time to find nothing and wait: if it has not yet looked,
	// it finds the event without help and the test proves less, never more.
	time.Sleep(300 * time.Millisecond)
	if _, err := writer.DB().ExecContext(ctx, "UPDATE NewEvents SET VisibleTime = NULL"); err != nil {
		t.Fatalf("reveal event: %v", err)
	}
	writer.Signal()
	wi := <-got
	if err := <-fetchErr; err != nil {
		t.Fatalf("idle fetch: %v", err)
	}
	if wi.InstanceID != id {
		t.Errorf("fetched %s, want %s", wi.InstanceID, id)
	}
}
