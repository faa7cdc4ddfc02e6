package taskhubtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
)

// BenchFanOut runs one FanOutOrchestrator with input in per iteration. Each
// backend gets a worker set of its own (parallelism work items of each
// kind); backends that share one store stand for processes that share it.
// It reports activities per second, and fails on a call that ran twice.
func BenchFanOut(b *testing.B, backends []backend.Backend, in FanOutInput, parallelism int32) {
	x := NewExecutions()
	var c backend.TaskHubClient
	for _, be := range backends {
		r := task.NewTaskRegistry()
		if err := RegisterFanOut(r, x); err != nil {
			b.Fatal(err)
		}
		c = StartWorker(b, be, r, parallelism)
	}
	b.ResetTimer()
	for b.Loop() {
		md := WaitDone(b, c, Start(b, c, FanOutOrchestrator, api.WithInput(in)), 30*time.Minute)
		if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
			b.Fatalf("status %s: %v", md.RuntimeStatus, md.FailureDetails)
		}
	}
	b.ReportMetric(float64(in.Activities)*float64(b.N)/b.Elapsed().Seconds(), "activities/s")
	if n := x.Repeated(); n != 0 {
		b.Errorf("%d calls ran more than once", n)
	}
}

// reactOrchestrator waits for goEvent, then calls reactActivity.
const (
	reactOrchestrator = "taskhubtest.React"
	reactActivity     = "taskhubtest.Reacted"
)

// BenchReaction measures how long after a raised event its orchestration
// reacts, when the task hub has been idle for idle: per iteration an
// orchestration starts and waits for an event; after idle the event is raised,
// and the time until the activity the orchestration then calls starts
// running is reported as ms/reaction (mean).
func BenchReaction(b *testing.B, be backend.Backend, idle time.Duration) {
	reacted := make(chan time.Time, 1)
	r := task.NewTaskRegistry()
	err := r.AddOrchestratorN(reactOrchestrator, func(ctx *task.OrchestrationContext) (any, error) {
		if err := ctx.WaitForSingleEvent(goEvent, -1).Await(nil); err != nil {
			return nil, err
		}
		return nil, ctx.CallActivity(reactActivity).Await(nil)
	})
	if err == nil {
		err = r.AddActivityN(reactActivity, func(task.ActivityContext) (any, error) {
			reacted <- time.Now()
			return nil, nil
		})
	}
	if err != nil {
		b.Fatal(err)
	}
	c := StartWorker(b, be, r, 4)
	ctx := context.Background()
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		id := Start(b, c, reactOrchestrator)
		WaitStatus(b, c, id, time.Minute, api.RUNTIME_STATUS_RUNNING)
		time.Sleep(idle)
		raised := time.Now()
		if err := c.RaiseEvent(ctx, id, goEvent); err != nil {
			b.Fatalf("raise: %v", err)
		}
		select {
		case at := <-reacted:
			total += at.Sub(raised)
		case <-time.After(time.Minute):
			b.Fatal("no reaction within a minute")
		}
		WaitDone(b, c, id, time.Minute)
	}
	b.ReportMetric(float64(total)/float64(time.Millisecond)/float64(b.N), "ms/reaction")
	b.Logf("%d reactions after %v idle: mean %v", b.N, idle, (total / time.Duration(b.N)).Round(time.Microsecond))
}

// RunFanOutBenchmarks runs BenchFanOut as sub-benchmarks: 10,000 calls
// flat (one step schedules them all) and in 100 sub-orchestrations of 100,
// each on one and on two worker sets of parallelism 4. newBackends returns n
// backends on one new, empty store.
func RunFanOutBenchmarks(b *testing.B, newBackends func(b *testing.B, n int) []backend.Backend) {
	workloads := []struct {
		name string
		in   FanOutInput
	}{
		{"flat", FanOutInput{Activities: 10_000}},
		{"batches", FanOutInput{Activities: 10_000, BatchSize: 100}},
	}
	for _, w := range workloads {
		for _, sets := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/sets=%d", w.name, sets), func(b *testing.B) {
				BenchFanOut(b, newBackends(b, sets), w.in, 4)
			})
		}
	}
}
