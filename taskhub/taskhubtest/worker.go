package taskhubtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
)

// Logger is the logger for backends and workers under test: warnings and
// errors only, on stderr, because the engine's workers go on logging for a
// moment after a test ends, when testing.T no longer takes output.
func Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// StartWorker creates the task hub of be, starts orchestration and activity
// workers on it with the registry (parallelism as the engine's option, at
// least 1), and returns a client. Cleanup shuts the workers down.
func StartWorker(tb testing.TB, be backend.Backend, r *task.TaskRegistry, parallelism int32) backend.TaskHubClient {
	tb.Helper()
	log := EngineLogger(Logger())
	ex := task.NewTaskExecutor(r)
	par := backend.WithMaxParallelism(max(parallelism, 1))
	w := backend.NewTaskHubWorker(be,
		backend.NewOrchestrationWorker(be, ex, log, par),
		backend.NewActivityTaskWorker(be, ex, log, par),
		log)
	if err := w.Start(context.Background()); err != nil {
		tb.Fatalf("start task hub worker: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := w.Shutdown(ctx); err != nil {
			tb.Errorf("shut down task hub worker: %v", err)
		}
	})
	return backend.NewTaskHubClient(be)
}

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
