package taskhubtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub"
)

// Logger is the logger for backends and workers under test: warnings and
// errors only, on stderr, because the engine's workers go on logging for a
// moment after a test ends, when testing.T no longer takes output.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// drainGrace is how long a test's cleanup lets the work items in flight
// finish before they are cancelled. The engine's own worker cancelled them
// at once, and a test may hold an activity until its worker stops
// (postgres's TestKilledProcessWorkIsTakenOver), so running out of it is no
// failure; items of the suite's workloads finish well within it.
const drainGrace = 5 * time.Second

// StartWorker creates the task hub of be and runs the orchestrators and
// activities of r on it, parallelism work items of each kind at once (at
// least 1), and returns a client. Cleanup shuts the workers down; be stays
// open for whoever made it to close.
//
// The workers are the engine's, fed by taskhub.Hub's poll loop as in the
// application, not by the engine's TaskHubWorker: that one's Shutdown waits
// for a worker's work items while the worker's own loop may still be
// fetching one, and so adding to the WaitGroup waited on, a data race the
// race detector reports (durabletask-go v0.6.0 backend/worker.go:111 against
// backend/taskhub.go:66). No order of calls avoids it from outside, since
// that loop's end cannot be awaited; the hub's loop ends before it drains.
func StartWorker(tb testing.TB, be backend.Backend, r *task.TaskRegistry, parallelism int32) backend.TaskHubClient {
	tb.Helper()
	ctx := context.Background()
	h, err := taskhub.Open(ctx, taskhub.Options{
		// NewPostgres is how the hub takes a backend made elsewhere, whatever
		// its kind; the hub hands it the DSN, which it ignores.
		Backend:     taskhub.BackendPostgres,
		DSN:         "given",
		Name:        "taskhubtest",
		Parallelism: int(max(parallelism, 1)),
		NewPostgres: func(context.Context, taskhub.Options, *slog.Logger) (backend.Backend, error) {
			return borrowed{be}, nil
		},
	}, Logger())
	if err != nil {
		tb.Fatalf("open task hub: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), drainGrace)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			tb.Errorf("shut down task hub workers: %v", err)
		}
	})
	if err := h.Start(ctx, r); err != nil {
		tb.Fatalf("start task hub workers: %v", err)
	}
	return h.Client()
}

// borrowed hides the Close of a backend from the hub, which closes what it
// opened: the test that made the backend closes it, after the workers stop.
type borrowed struct{ backend.Backend }

// Start starts an orchestration through c, or fails the test.
func Start(tb testing.TB, c backend.TaskHubClient, name string, opts ...api.NewOrchestrationOptions) api.InstanceID {
	tb.Helper()
	id, err := c.ScheduleNewOrchestration(context.Background(), name, opts...)
	if err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	return id
}

// WaitFor polls the instance's metadata until done accepts it, failing the
// test when timeout passes first. The engine client's own wait backs off to
// 10 s between looks, which would dominate the suite's run time.
func WaitFor(tb testing.TB, c backend.TaskHubClient, id api.InstanceID, timeout time.Duration, done func(*api.OrchestrationMetadata) bool) *api.OrchestrationMetadata {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var last *api.OrchestrationMetadata
	for {
		md, err := c.FetchOrchestrationMetadata(ctx, id)
		if err == nil {
			last = md
			if done(md) {
				return md
			}
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("instance %s: condition not met within %v; last metadata %s, last error %v", id, timeout, describe(last), err)
			return nil
		case <-tick.C:
		}
	}
}

// WaitDone waits until the instance has finished (completed, failed or
// terminated) and returns its metadata.
func WaitDone(tb testing.TB, c backend.TaskHubClient, id api.InstanceID, timeout time.Duration) *api.OrchestrationMetadata {
	tb.Helper()
	return WaitFor(tb, c, id, timeout, (*api.OrchestrationMetadata).IsComplete)
}

// WaitStatus waits until the instance has the runtime status.
func WaitStatus(tb testing.TB, c backend.TaskHubClient, id api.InstanceID, timeout time.Duration, status api.OrchestrationStatus) *api.OrchestrationMetadata {
	tb.Helper()
	return WaitFor(tb, c, id, timeout, func(md *api.OrchestrationMetadata) bool { return md.RuntimeStatus == status })
}

func describe(md *api.OrchestrationMetadata) string {
	if md == nil {
		return "none"
	}
	return fmt.Sprintf("{status %s, output %q, custom status %q, failure %v}",
		md.RuntimeStatus, md.SerializedOutput, md.SerializedCustomStatus, md.FailureDetails)
}
