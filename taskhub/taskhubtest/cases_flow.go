package taskhubtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// checkOutput fails the test unless the instance completed with want as its
// JSON output.
func checkOutput(t *testing.T, md *api.OrchestrationMetadata, want any) {
	t.Helper()
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("%s: status = %s, want COMPLETED; failure %v", md.InstanceID, md.RuntimeStatus, md.FailureDetails)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("marshal %v: %v", want, err)
	}
	if md.SerializedOutput != string(w) {
		t.Errorf("%s: output = %s, want %s", md.InstanceID, md.SerializedOutput, w)
	}
}

func testFanOut(t *testing.T, newBackend NewBackend) {
	c, _, s := hub(t, newBackend)
	const n = 1000
	id := Start(t, c, FanOutOrchestrator, api.WithInput(FanOutInput{Activities: n}))
	checkOutput(t, WaitDone(t, c, id, waitLimit), n)
	if got := s.runs.Calls(); got != n {
		t.Errorf("distinct calls run = %d, want %d", got, n)
	}
	if got := s.runs.Repeated(); got != 0 {
		t.Errorf("calls run more than once: %d executions, want none", got)
	}
}

func testSubOrchestrations(t *testing.T, newBackend NewBackend) {
	c, _, s := hub(t, newBackend)
	id := Start(t, c, FanOutOrchestrator, api.WithInput(FanOutInput{Activities: 25, BatchSize: 10}))
	checkOutput(t, WaitDone(t, c, id, waitLimit), 25)
	if got := s.runs.Calls(); got != 25 {
		t.Errorf("distinct calls run = %d, want 25", got)
	}
	for first, size := range map[int]int{0: 10, 10: 10, 20: 5} {
		md, err := c.FetchOrchestrationMetadata(context.Background(), api.InstanceID(fmt.Sprintf("%s:batch:%d", id, first)))
		if err != nil {
			t.Fatalf("batch %d: %v", first, err)
		}
		if md.Name != BatchOrchestrator {
			t.Errorf("batch %d: name = %q, want %q", first, md.Name, BatchOrchestrator)
		}
		checkOutput(t, md, size)
	}
}

func testTimers(t *testing.T, newBackend NewBackend) {
	c, _, _ := hub(t, newBackend)
	const ms = 500
	id := Start(t, c, sleep, api.WithInput(ms))
	md := WaitDone(t, c, id, waitLimit)
	var slept int
	if err := json.Unmarshal([]byte(md.SerializedOutput), &slept); err != nil {
		t.Fatalf("output %q: %v", md.SerializedOutput, err)
	}
	// A timer must not fire early; how late it fires is a benchmark's concern.
	if slept < ms {
		t.Errorf("timer of %d ms fired after %d ms", ms, slept)
	}
}

func testExternalEvents(t *testing.T, newBackend NewBackend) {
	c, _, _ := hub(t, newBackend)
	cases := []struct {
		name      string
		timeoutMS int
		raise     bool
		waitFirst bool // raise only once the orchestrator waits
		want      string
	}{
		{"delivered to a waiting instance", -1, true, true, "yes"},
		{"buffered until the instance waits", 60_000, true, false, "yes"},
		{"timeout without an event", 200, false, false, timedOut},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := Start(t, c, awaitEvent, api.WithInput(tc.timeoutMS))
			if tc.waitFirst {
				WaitFor(t, c, id, waitLimit, func(md *api.OrchestrationMetadata) bool {
					return md.SerializedCustomStatus == waitingStatus
				})
			}
			if tc.raise {
				if err := c.RaiseEvent(context.Background(), id, goEvent, api.WithEventPayload(tc.want)); err != nil {
					t.Fatalf("raise: %v", err)
				}
			}
			checkOutput(t, WaitDone(t, c, id, waitLimit), tc.want)
		})
	}
}

func testSuspendResume(t *testing.T, newBackend NewBackend) {
	c, _, _ := hub(t, newBackend)
	ctx := context.Background()
	id := Start(t, c, awaitEvent, api.WithInput(-1))
	WaitStatus(t, c, id, waitLimit, api.RUNTIME_STATUS_RUNNING)
	if err := c.SuspendOrchestration(ctx, id, "pause"); err != nil {
		t.Fatalf("suspend: %v", err)
	}
	WaitStatus(t, c, id, waitLimit, api.RUNTIME_STATUS_SUSPENDED)
	// An event raised while suspended waits for the resume.
	if err := c.RaiseEvent(ctx, id, goEvent, api.WithEventPayload("after resume")); err != nil {
		t.Fatalf("raise: %v", err)
	}
	if err := c.ResumeOrchestration(ctx, id, "go on"); err != nil {
		t.Fatalf("resume: %v", err)
	}
	checkOutput(t, WaitDone(t, c, id, waitLimit), "after resume")
}

func testTerminate(t *testing.T, newBackend NewBackend) {
	c, _, _ := hub(t, newBackend)
	ctx := context.Background()
	cases := []struct {
		name      string
		recursive bool
	}{
		{"recursive", true},
		{"parent only", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			child := api.InstanceID(fmt.Sprintf("terminate-%t-child", tc.recursive))
			id := Start(t, c, parent, api.WithInput(child))
			WaitStatus(t, c, child, waitLimit, api.RUNTIME_STATUS_RUNNING)
			if err := c.TerminateOrchestration(ctx, id, api.WithOutput("stopped"), api.WithRecursiveTerminate(tc.recursive)); err != nil {
				t.Fatalf("terminate: %v", err)
			}
			md := WaitDone(t, c, id, waitLimit)
			if md.RuntimeStatus != api.RUNTIME_STATUS_TERMINATED || md.SerializedOutput != `"stopped"` {
				t.Errorf("parent: status %s, output %s; want TERMINATED, \"stopped\"", md.RuntimeStatus, md.SerializedOutput)
			}
			if tc.recursive {
				if got := WaitDone(t, c, child, waitLimit).RuntimeStatus; got != api.RUNTIME_STATUS_TERMINATED {
					t.Errorf("child: status %s, want TERMINATED", got)
				}
				return
			}
			// Left running, the child goes on to complete normally. (Raising
			// the event in the recursive case would race the termination: the
			// engine lets the later of the two decide when one step gets both.)
			if err := c.RaiseEvent(ctx, child, goEvent, api.WithEventPayload("child done")); err != nil {
				t.Fatalf("raise: %v", err)
			}
			checkOutput(t, WaitDone(t, c, child, waitLimit), "child done")
		})
	}
}

func testPurge(t *testing.T, newBackend NewBackend) {
	c, be, _ := hub(t, newBackend)
	ctx := context.Background()
	finished := func(t *testing.T) api.InstanceID {
		id := Start(t, c, greeting, api.WithInput("purge"))
		WaitDone(t, c, id, waitLimit)
		return id
	}
	running := func(t *testing.T) api.InstanceID {
		id := Start(t, c, awaitEvent, api.WithInput(-1))
		WaitStatus(t, c, id, waitLimit, api.RUNTIME_STATUS_RUNNING)
		return id
	}
	cases := []struct {
		name      string
		instance  func(*testing.T) api.InstanceID
		recursive bool
		wantErr   error
	}{
		{"finished", finished, true, nil},
		{"finished, backend only", finished, false, nil},
		{"running", running, true, api.ErrNotCompleted},
		{"running, backend only", running, false, api.ErrNotCompleted},
		{"unknown", func(*testing.T) api.InstanceID { return "no-such-instance" }, true, api.ErrInstanceNotFound},
		{"unknown, backend only", func(*testing.T) api.InstanceID { return "no-such-instance" }, false, api.ErrInstanceNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.instance(t)
			err := c.PurgeOrchestrationState(ctx, id, api.WithRecursivePurge(tc.recursive))
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("purge: error %v, want %v", err, tc.wantErr)
			}
			_, err = c.FetchOrchestrationMetadata(ctx, id)
			if gone := errors.Is(err, api.ErrInstanceNotFound); gone != (tc.wantErr == nil || errors.Is(tc.wantErr, api.ErrInstanceNotFound)) {
				t.Errorf("after purge: metadata error %v", err)
			}
		})
	}
	t.Run("recursive removes sub-orchestrations and history", func(t *testing.T) {
		id := Start(t, c, FanOutOrchestrator, api.WithInput(FanOutInput{Activities: 4, BatchSize: 2}))
		WaitDone(t, c, id, waitLimit)
		if err := c.PurgeOrchestrationState(ctx, id); err != nil {
			t.Fatalf("purge: %v", err)
		}
		for _, gone := range []api.InstanceID{id, id + ":batch:0", id + ":batch:2"} {
			if _, err := c.FetchOrchestrationMetadata(ctx, gone); !errors.Is(err, api.ErrInstanceNotFound) {
				t.Errorf("%s after purge: error %v, want %v", gone, err, api.ErrInstanceNotFound)
			}
			state, err := be.GetOrchestrationRuntimeState(ctx, &backend.OrchestrationWorkItem{InstanceID: gone})
			if err != nil {
				t.Fatalf("history of %s: %v", gone, err)
			}
			if n := len(state.OldEvents()); n != 0 {
				t.Errorf("%s after purge: %d history events, want none", gone, n)
			}
		}
	})
}

func testContinueAsNew(t *testing.T, newBackend NewBackend) {
	c, be, _ := hub(t, newBackend)
	id := Start(t, c, counter, api.WithInput(0))
	md := WaitDone(t, c, id, waitLimit)
	checkOutput(t, md, 5)
	if md.SerializedInput != "5" {
		t.Errorf("input = %s, want the last generation's, 5", md.SerializedInput)
	}
	state, err := be.GetOrchestrationRuntimeState(context.Background(), &backend.OrchestrationWorkItem{InstanceID: id})
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	var starts []string
	for _, e := range state.OldEvents() {
		if es := e.GetExecutionStarted(); es != nil {
			starts = append(starts, es.GetInput().GetValue())
		}
	}
	if len(starts) != 1 || starts[0] != "5" {
		t.Errorf("history starts with inputs %q, want only the last generation's [5]", starts)
	}
}
