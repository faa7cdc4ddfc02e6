package taskhub

import (
	"errors"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"
)

// fixed runs according to its input: "ok" completes with "ok", "fail"
// fails, "wait" waits for the event "Go".
func fixed(ctx *task.OrchestrationContext) (any, error) {
	var mode string
	if err := ctx.GetInput(&mode); err != nil {
		return nil, err
	}
	switch mode {
	case "fail":
		return nil, errors.New("failed on purpose")
	case "wait":
		return awaitEvent(ctx)
	}
	return mode, nil
}

func TestStartFixed(t *testing.T) {
	h := openTestHub(t, Options{})
	startHub(t, h, registry(t, map[string]task.Orchestrator{"Fixed": fixed}, nil))
	c := h.Client()

	tests := []struct {
		name string
		// prior brings an instance with the id into a state; nil: none.
		prior       func(t *testing.T, id api.InstanceID)
		wantStarted bool
		wantStatus  api.OrchestrationStatus
	}{
		{"new id", nil, true, api.RUNTIME_STATUS_COMPLETED},
		{"running", func(t *testing.T, id api.InstanceID) {
			startFixed(t, h, id, "wait")
			if _, err := c.WaitForOrchestrationStart(t.Context(), id); err != nil {
				t.Fatalf("wait for start: %v", err)
			}
		}, false, api.RUNTIME_STATUS_RUNNING},
		{"completed", func(t *testing.T, id api.InstanceID) {
			startFixed(t, h, id, "ok")
			awaitCompletion(t, c, id, 20*time.Second)
		}, false, api.RUNTIME_STATUS_COMPLETED},
		{"failed: replaced", func(t *testing.T, id api.InstanceID) {
			startFixed(t, h, id, "fail")
			awaitCompletion(t, c, id, 20*time.Second)
		}, true, api.RUNTIME_STATUS_COMPLETED},
		{"terminated: replaced", func(t *testing.T, id api.InstanceID) {
			startFixed(t, h, id, "wait")
			if err := c.TerminateOrchestration(t.Context(), id); err != nil {
				t.Fatalf("terminate: %v", err)
			}
			awaitCompletion(t, c, id, 20*time.Second)
		}, true, api.RUNTIME_STATUS_COMPLETED},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := api.InstanceID("fixed:" + tc.name)
			if tc.prior != nil {
				tc.prior(t, id)
			}
			started, err := StartFixed(t.Context(), c, "Fixed", id, "ok")
			if err != nil {
				t.Fatalf("StartFixed: %v", err)
			}
			if started != tc.wantStarted {
				t.Errorf("started = %v, want %v", started, tc.wantStarted)
			}
			md, err := c.FetchOrchestrationMetadata(t.Context(), id)
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if md.RuntimeStatus == api.RUNTIME_STATUS_PENDING || tc.wantStatus == api.RUNTIME_STATUS_COMPLETED {
				md = awaitCompletion(t, c, id, 20*time.Second)
			}
			if md.RuntimeStatus != tc.wantStatus {
				t.Errorf("status = %v, want %v", md.RuntimeStatus, tc.wantStatus)
			}
		})
	}
}

// startFixed starts Fixed as id and fails unless it started.
func startFixed(t *testing.T, h *Hub, id api.InstanceID, mode string) {
	t.Helper()
	started, err := StartFixed(t.Context(), h.Client(), "Fixed", id, mode)
	if err != nil || !started {
		t.Fatalf("StartFixed(%s, %s) = %v, %v; want true, nil", id, mode, started, err)
	}
}
