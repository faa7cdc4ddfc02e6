package taskhub_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub"
)

// flaky is an activity that fails while its switch is on, counting its runs.
type flaky struct {
	failing atomic.Bool
	runs    atomic.Int32
}

func (f *flaky) run(ctx task.ActivityContext) (any, error) {
	f.runs.Add(1)
	if f.failing.Load() {
		return nil, errors.New("the mail server said no")
	}
	return "sent", nil
}

// counter is an activity that succeeds, counting its runs.
type counter struct{ runs atomic.Int32 }

func (c *counter) run(ctx task.ActivityContext) (any, error) {
	return fmt.Sprintf("run %d", c.runs.Add(1)), nil
}

// sequence calls Prepare, then Send; its output joins their results.
func sequence(ctx *task.OrchestrationContext) (any, error) {
	var a, b string
	if err := ctx.CallActivity("Prepare").Await(&a); err != nil {
		return nil, err
	}
	if err := ctx.CallActivity("Send").Await(&b); err != nil {
		return nil, err
	}
	return a + ", " + b, nil
}

// parent runs sequence as a sub-orchestration.
func parent(ctx *task.OrchestrationContext) (any, error) {
	var out string
	err := ctx.CallSubOrchestrator("Sequence").Await(&out)
	return "child: " + out, err
}

// race schedules Prepare and Send side by side and waits for Send first, so that Prepare's
// result arrives after Send's failure has failed the instance.
func race(ctx *task.OrchestrationContext) (any, error) {
	prepare := ctx.CallActivity("Prepare")
	var a, b string
	if err := ctx.CallActivity("Send").Await(&b); err != nil {
		return nil, err
	}
	if err := prepare.Await(&a); err != nil {
		return nil, err
	}
	return a + ", " + b, nil
}

func TestRewind(t *testing.T) {
	tests := []struct {
		name         string
		orchestrator string
		// beforeRewind runs once the instance has failed.
		beforeRewind func(t *testing.T, s *store, id api.InstanceID, release func())
		wantOutput   string
		wantPrepares int32 // runs of Prepare in all
	}{
		{name: "activity", orchestrator: "Sequence", wantOutput: `"run 1, sent"`, wantPrepares: 1},
		{name: "sub-orchestration", orchestrator: "Parent", wantOutput: `"child: run 1, sent"`, wantPrepares: 1},
		{
			// The engine drops Prepare's result, which arrives after the failure; the rewind
			// must run Prepare again or the instance would wait for it forever.
			name: "result dropped after the failure", orchestrator: "Race",
			beforeRewind: func(t *testing.T, s *store, id api.InstanceID, release func()) {
				release()
				deadline := time.Now().Add(30 * time.Second)
				for s.queued(t, id) > 0 {
					if time.Now().After(deadline) {
						t.Fatal("Prepare's late result was never dropped")
					}
					time.Sleep(20 * time.Millisecond)
				}
			},
			wantOutput: `"run 2, sent"`, wantPrepares: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, pg bool) {
				var send flaky
				var prepare counter
				// gate holds Prepare back in the race until the test opens it.
				gate := make(chan struct{})
				release := func() { close(gate) }
				s := openStore(t, pg, registry(t,
					map[string]task.Orchestrator{"Sequence": sequence, "Parent": parent, "Race": race},
					map[string]task.Activity{
						"Send": send.run,
						"Prepare": func(ctx task.ActivityContext) (any, error) {
							if tc.orchestrator == "Race" {
								<-gate
							}
							return prepare.run(ctx)
						},
					}))
				send.failing.Store(true)
				id := s.start(t, tc.orchestrator)
				failed := s.await(t, id, api.RUNTIME_STATUS_FAILED)
				if failed.Failure == nil {
					t.Fatal("failed instance has no failure details")
				}
				if tc.beforeRewind != nil {
					tc.beforeRewind(t, s, id, release)
				} else {
					release()
				}

				send.failing.Store(false)
				if err := s.x.Rewind(t.Context(), id, "mail server fixed"); err != nil {
					t.Fatalf("rewind: %v", err)
				}
				done := s.await(t, id, api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_FAILED)
				if done.Status != api.RUNTIME_STATUS_COMPLETED {
					t.Fatalf("after rewind: %s, failure %v", taskhub.StatusName(done.Status), done.Failure)
				}
				if done.Output != tc.wantOutput {
					t.Errorf("output = %s, want %s", done.Output, tc.wantOutput)
				}
				if done.Failure != nil || done.CompletedAt.IsZero() {
					t.Errorf("completed instance: failure %v, completed at %v", done.Failure, done.CompletedAt)
				}
				if n := prepare.runs.Load(); n != tc.wantPrepares {
					t.Errorf("Prepare ran %d times, want %d", n, tc.wantPrepares)
				}
				if n := send.runs.Load(); n != 2 {
					t.Errorf("Send ran %d times, want 2 (the failure, then the rewind)", n)
				}

				// The history keeps no failure: the failed step is gone.
				history, err := s.x.History(t.Context(), id)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range history {
					if e.GetTaskFailed() != nil || e.GetSubOrchestrationInstanceFailed() != nil ||
						e.GetExecutionCompleted().GetOrchestrationStatus() == api.RUNTIME_STATUS_FAILED {
						t.Errorf("history keeps the failure: %v", e)
					}
				}

				if err := s.x.Rewind(t.Context(), id, ""); !errors.Is(err, taskhub.ErrWrongState) {
					t.Errorf("rewind of a completed instance: error %v, want ErrWrongState", err)
				}
			})
		})
	}
}

func TestRewindRefuses(t *testing.T) {
	eachStore(t, registry(t, map[string]task.Orchestrator{"Wait": func(ctx *task.OrchestrationContext) (any, error) {
		return nil, ctx.WaitForSingleEvent("Go", time.Hour).Await(nil)
	}}, nil), func(t *testing.T, s *store) {
		id := s.start(t, "Wait")
		s.await(t, id, api.RUNTIME_STATUS_RUNNING)
		if err := s.x.Rewind(t.Context(), id, ""); !errors.Is(err, taskhub.ErrWrongState) {
			t.Errorf("rewind of a running instance: error %v, want ErrWrongState", err)
		}
		if err := s.x.Rewind(t.Context(), "nobody", ""); !errors.Is(err, api.ErrInstanceNotFound) {
			t.Errorf("rewind of an unknown instance: error %v, want ErrInstanceNotFound", err)
		}
	})
}
