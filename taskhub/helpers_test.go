package taskhub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
)

// testLog writes warnings and errors, the engine's included, to the test
// output.
func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testDSN is a task hub file in a fresh temporary folder.
func testDSN(t testing.TB) string {
	return filepath.Join(t.TempDir(), "taskhub.db")
}

// openTestHub opens a SQLite hub on opts (DSN defaults to a temporary file)
// and shuts it down when the test ends.
func openTestHub(t testing.TB, opts Options) *Hub {
	t.Helper()
	if opts.DSN == "" {
		opts.DSN = testDSN(t)
	}
	h, err := Open(t.Context(), opts, testLog(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return h
}

// registry builds a task registry from orchestrators and activities by name.
func registry(t testing.TB, orchestrators map[string]task.Orchestrator, activities map[string]task.Activity) *task.TaskRegistry {
	t.Helper()
	r := task.NewTaskRegistry()
	for name, o := range orchestrators {
		if err := r.AddOrchestratorN(name, o); err != nil {
			t.Fatalf("register orchestrator %s: %v", name, err)
		}
	}
	for name, a := range activities {
		if err := r.AddActivityN(name, a); err != nil {
			t.Fatalf("register activity %s: %v", name, err)
		}
	}
	return r
}

// startHub starts h's workers on r.
func startHub(t testing.TB, h *Hub, r *task.TaskRegistry) {
	t.Helper()
	if err := h.Start(t.Context(), r); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// schedule starts orchestrator name with input and returns its id.
func schedule(t testing.TB, c backend.TaskHubClient, name string, input any) api.InstanceID {
	t.Helper()
	id, err := c.ScheduleNewOrchestration(t.Context(), name, api.WithInput(input))
	if err != nil {
		t.Fatalf("schedule %s: %v", name, err)
	}
	return id
}

// awaitCompletion waits up to within for instance id to finish; the bound
// only keeps a broken hub from hanging the test.
func awaitCompletion(t testing.TB, c backend.TaskHubClient, id api.InstanceID, within time.Duration) *api.OrchestrationMetadata {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	md, err := c.WaitForOrchestrationCompletion(ctx, id)
	if err != nil {
		t.Fatalf("instance %s not complete within %v: %v", id, within, err)
	}
	return md
}

// wantCompleted fails unless md completed with the JSON of want.
func wantCompleted(t testing.TB, md *api.OrchestrationMetadata, want any) {
	t.Helper()
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("status = %v (failure %v), want COMPLETED", md.RuntimeStatus, md.FailureDetails)
	}
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("marshal want: %v", err)
	}
	if md.SerializedOutput != string(b) {
		t.Errorf("output = %s, want %s", md.SerializedOutput, b)
	}
}

// greet is an orchestrator that passes its input to the activity "Hello"
// and returns its result.
func greet(ctx *task.OrchestrationContext) (any, error) {
	var name string
	if err := ctx.GetInput(&name); err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	var out string
	if err := ctx.CallActivity("Hello", task.WithActivityInput(name)).Await(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// hello answers "Hello, NAME!".
func hello(ctx task.ActivityContext) (any, error) {
	var name string
	if err := ctx.GetInput(&name); err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	if name == "" {
		return nil, errors.New("no name")
	}
	return "Hello, " + name + "!", nil
}

// awaitEvent waits for the event "Go" and returns its payload.
func awaitEvent(ctx *task.OrchestrationContext) (any, error) {
	var v string
	if err := ctx.WaitForSingleEvent("Go", -1).Await(&v); err != nil {
		return nil, err
	}
	return v, nil
}
