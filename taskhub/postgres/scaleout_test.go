package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub/postgres"
	"membership/taskhub/taskhubtest"
)

// TestTwoProcessesShareFanOut runs one fan-out on two Backends ("processes")
// that share a database: both take part, and no call runs twice. With
// batches, the processes often claim an instance just as the other completes
// a step of it; such a claim once locked the instance with no events and left
// it stuck until its lock expired, so the locks here outlast the test's wait.
func TestTwoProcessesShareFanOut(t *testing.T) {
	t.Parallel()
	const calls = 500
	cases := []struct {
		name string
		in   taskhubtest.FanOutInput
	}{
		{"flat", taskhubtest.FanOutInput{Activities: calls}},
		{"batches", taskhubtest.FanOutInput{Activities: calls, BatchSize: 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			schema := newSchema(t)
			var clients []backend.TaskHubClient
			var runs []*taskhubtest.Executions
			for range 2 {
				be := open(t, schema, postgres.Options{PollInterval: quiet, LockTimeout: 2 * time.Minute})
				x := taskhubtest.NewExecutions()
				r := task.NewTaskRegistry()
				if err := taskhubtest.RegisterFanOut(r, x); err != nil {
					t.Fatal(err)
				}
				clients = append(clients, taskhubtest.StartWorker(t, be, r, 4))
				runs = append(runs, x)
			}
			id := taskhubtest.Start(t, clients[0], taskhubtest.FanOutOrchestrator, api.WithInput(tc.in))
			md := taskhubtest.WaitDone(t, clients[1], id, time.Minute)
			if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED || md.SerializedOutput != fmt.Sprint(calls) {
				t.Fatalf("status %s, output %s; want COMPLETED, %d", md.RuntimeStatus, md.SerializedOutput, calls)
			}
			total := map[string]int{}
			for i, x := range runs {
				if x.Calls() == 0 {
					t.Errorf("process %d ran no call", i)
				}
				for call, n := range x.Runs() {
					total[call] += n
				}
			}
			if len(total) != calls {
				t.Errorf("distinct calls run = %d, want %d", len(total), calls)
			}
			for call, n := range total {
				if n != 1 {
					t.Errorf("call %s ran %d times", call, n)
				}
			}
		})
	}
}

// TestKilledProcessWorkIsTakenOver kills a process that holds activity locks
// (its pool closes, so it renews nothing) and checks that another process
// finishes the orchestration once the locks expire.
func TestKilledProcessWorkIsTakenOver(t *testing.T) {
	t.Parallel()
	const calls = 20
	schema := newSchema(t)
	// Lock expiry is the one thing no notification announces: the poll
	// interval is what notices it.
	opts := postgres.Options{LockTimeout: 2 * time.Second, PollInterval: 200 * time.Millisecond}

	doomed := open(t, schema, opts)
	entered := make(chan struct{}, calls)
	r := task.NewTaskRegistry()
	regs := []error{
		r.AddOrchestratorN(taskhubtest.FanOutOrchestrator, taskhubtest.FanOut),
		r.AddOrchestratorN(taskhubtest.BatchOrchestrator, taskhubtest.FanOutBatch),
		// The doomed process hangs in every call until its worker stops.
		r.AddActivityN(taskhubtest.RecordActivity, func(ctx task.ActivityContext) (any, error) {
			entered <- struct{}{}
			<-ctx.Context().Done()
			return nil, ctx.Context().Err()
		}),
	}
	for _, err := range regs {
		if err != nil {
			t.Fatal(err)
		}
	}
	const parallelism = 4
	c := taskhubtest.StartWorker(t, doomed, r, parallelism)
	id, err := c.ScheduleNewOrchestration(context.Background(), taskhubtest.FanOutOrchestrator,
		api.WithInput(taskhubtest.FanOutInput{Activities: calls}))
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	for range parallelism {
		<-entered
	}
	if err := doomed.Close(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	killed := time.Now()

	survivor := open(t, schema, opts)
	x := taskhubtest.NewExecutions()
	r = task.NewTaskRegistry()
	if err := taskhubtest.RegisterFanOut(r, x); err != nil {
		t.Fatal(err)
	}
	c = taskhubtest.StartWorker(t, survivor, r, parallelism)
	md := taskhubtest.WaitDone(t, c, id, 30*time.Second)
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("status %s, want COMPLETED", md.RuntimeStatus)
	}
	if got := x.Calls(); got != calls {
		t.Errorf("survivor ran %d calls, want all %d", got, calls)
	}
	t.Logf("taken over and finished %v after the kill (lock timeout %v)", time.Since(killed).Round(time.Millisecond), opts.LockTimeout)
}
