package taskhub

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
)

// benchHub opens a hub in a temporary folder with parallelism 4 and
// starts it on r after wrap (when not nil) has decorated its backend.
// Without long-polling it runs the engine's own worker loop as well: the
// engine as it comes, for comparison.
func benchHub(b *testing.B, longPolling bool, r *task.TaskRegistry, wrap func(backend.Backend) backend.Backend) *Hub {
	b.Helper()
	log := slog.New(slog.DiscardHandler)
	h, err := open(b.Context(), Options{DSN: testDSN(b), Parallelism: 4}, log, longPolling)
	if err != nil {
		b.Fatalf("open: %v", err)
	}
	b.Cleanup(func() {
		if err := h.Shutdown(context.Background()); err != nil {
			b.Errorf("Shutdown: %v", err)
		}
	})
	if wrap != nil {
		h.be = wrap(h.be)
	}
	if longPolling {
		startHub(b, h, r)
		return h
	}
	workers := newWorkers(h.be, r, h.hard, 4, newEngineLogger(log))
	for _, w := range workers {
		w.Start(context.Background())
	}
	b.Cleanup(func() {
		for _, w := range workers {
			w.StopAndDrain()
		}
	})
	return h
}

// BenchmarkEventReaction measures the time from raising an event to an
// orchestration waiting for it in WaitForSingleEvent until its completion
// is visible to a client, after the workers have been idle: reported as
// reaction-ms (mean) and max-reaction-ms. ns/op includes the idle time.
func BenchmarkEventReaction(b *testing.B) {
	r := registry(b, map[string]task.Orchestrator{"AwaitEvent": awaitEvent}, nil)
	forEachPolling(b, func(b *testing.B, longPolling bool) {
		for _, idle := range []time.Duration{time.Second, 10 * time.Second} {
			b.Run(fmt.Sprintf("idle=%v", idle), func(b *testing.B) {
				h := benchHub(b, longPolling, r, nil)
				c := h.Client()
				var total, worst time.Duration
				for i := 0; i < b.N; i++ {
					id := schedule(b, c, "AwaitEvent", nil)
					if _, err := c.WaitForOrchestrationStart(b.Context(), id); err != nil {
						b.Fatalf("wait for start: %v", err)
					}
					time.Sleep(idle)
					start := time.Now()
					if err := c.RaiseEvent(b.Context(), id, "Go", api.WithEventPayload("x")); err != nil {
						b.Fatalf("raise: %v", err)
					}
					waitVisiblyComplete(b, c, id, time.Millisecond)
					d := time.Since(start)
					total += d
					worst = max(worst, d)
				}
				b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "reaction-ms")
				b.ReportMetric(float64(worst.Milliseconds()), "max-reaction-ms")
			})
		}
	})
}

// forEachPolling runs bench as the sub-benchmarks "longpoll" (the hub as
// Open makes it) and "plain" (the engine's own polling).
func forEachPolling(b *testing.B, bench func(b *testing.B, longPolling bool)) {
	for _, mode := range []struct {
		name        string
		longPolling bool
	}{{"longpoll", true}, {"plain", false}} {
		b.Run(mode.name, func(b *testing.B) { bench(b, mode.longPolling) })
	}
}

// noop is the activity of the throughput benchmarks.
func noop(task.ActivityContext) (any, error) { return 1, nil }

// waitVisiblyComplete polls id's status every interval until it is
// complete: the client's own wait backs off by half again each time, to
// 10 s, and its poll times (…, 3.2 s, 4.9 s, 7.5 s, 11.3 s) would be the
// figures measured.
func waitVisiblyComplete(b *testing.B, c backend.TaskHubClient, id api.InstanceID, interval time.Duration) *api.OrchestrationMetadata {
	b.Helper()
	for {
		md, err := c.FetchOrchestrationMetadata(b.Context(), id)
		if err != nil {
			b.Fatalf("fetch %s: %v", id, err)
		}
		if md.IsComplete() {
			return md
		}
		time.Sleep(interval)
	}
}

// BenchmarkSequence runs an orchestration of 10 activities one after the
// other, each waiting for the one before: the hub's reaction time, ten
// times over, on a busy hub rather than an idle one.
func BenchmarkSequence(b *testing.B) {
	const steps = 10
	r := registry(b,
		map[string]task.Orchestrator{"Sequence": func(ctx *task.OrchestrationContext) (any, error) {
			sum := 0
			for range steps {
				var v int
				if err := ctx.CallActivity("Noop").Await(&v); err != nil {
					return nil, err
				}
				sum += v
			}
			return sum, nil
		}},
		map[string]task.Activity{"Noop": noop})
	forEachPolling(b, func(b *testing.B, longPolling bool) {
		h := benchHub(b, longPolling, r, nil)
		for b.Loop() {
			md := waitVisiblyComplete(b, h.Client(), schedule(b, h.Client(), "Sequence", nil), time.Millisecond)
			if md.SerializedOutput != fmt.Sprint(steps) {
				b.Fatalf("sequence ended %v with %s", md.RuntimeStatus, md.SerializedOutput)
			}
		}
	})
}

// stepCounter counts orchestration steps.
type stepCounter struct {
	backend.Backend
	steps atomic.Int64
}

func (s *stepCounter) CompleteOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	s.steps.Add(1)
	return s.Backend.CompleteOrchestrationWorkItem(ctx, wi)
}

// BenchmarkFanOut runs 10,000 no-op activities as 100 sub-orchestrations of
// 100 activities each, with parallelism 4. It reports the orchestration
// steps taken: each replays its instance's whole history.
func BenchmarkFanOut(b *testing.B) {
	const batches, perBatch = 100, 100
	r := registry(b,
		map[string]task.Orchestrator{
			"FanOut": func(ctx *task.OrchestrationContext) (any, error) {
				return awaitAll(ctx, batches, func() task.Task {
					return ctx.CallSubOrchestrator("Batch", task.WithSubOrchestratorInput(perBatch))
				})
			},
			"Batch": func(ctx *task.OrchestrationContext) (any, error) {
				var n int
				if err := ctx.GetInput(&n); err != nil {
					return nil, err
				}
				return awaitAll(ctx, n, func() task.Task { return ctx.CallActivity("Noop") })
			},
		},
		map[string]task.Activity{"Noop": noop})
	forEachPolling(b, func(b *testing.B, longPolling bool) {
		sc := &stepCounter{}
		h := benchHub(b, longPolling, r, func(be backend.Backend) backend.Backend {
			sc.Backend = be
			return sc
		})
		for i := 0; i < b.N; i++ {
			id := schedule(b, h.Client(), "FanOut", nil)
			md := waitVisiblyComplete(b, h.Client(), id, 10*time.Millisecond)
			if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED || md.SerializedOutput != fmt.Sprint(batches*perBatch) {
				b.Fatalf("fan-out ended %v with %s (failure %v)", md.RuntimeStatus, md.SerializedOutput, md.FailureDetails)
			}
		}
		b.ReportMetric(float64(batches*perBatch*b.N)/b.Elapsed().Seconds(), "activities/s")
		b.ReportMetric(float64(sc.steps.Load())/float64(b.N), "steps/op")
	})
}

// awaitAll schedules n tasks first, so they run side by side (the engine
// has no WhenAll), then awaits each and sums their integer results.
func awaitAll(ctx *task.OrchestrationContext, n int, start func() task.Task) (int, error) {
	tasks := make([]task.Task, n)
	for i := range tasks {
		tasks[i] = start()
	}
	sum := 0
	for _, t := range tasks {
		var v int
		if err := t.Await(&v); err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}
