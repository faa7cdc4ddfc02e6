package postgres_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub/postgres"
	"membership/taskhub/taskhubtest"
)

// timerChain is an orchestrator that waits its input's number of short
// durable timers one after another, and returns how late each fired, in
// microseconds of orchestration time.
const timerChain = "TimerChain"

// chainDelay is the i-th timer's delay: 0 to 19.5 ms in steps of 0.5 ms, so
// that across the chain the fire time falls at every point of an idle
// fetch's claim-and-look-ahead after the step that set the timer.
func chainDelay(i int) time.Duration {
	return time.Duration(i%40) * 500 * time.Microsecond
}

func orchestrateTimerChain(ctx *task.OrchestrationContext) (any, error) {
	var n int
	if err := ctx.GetInput(&n); err != nil {
		return nil, err
	}
	late := make([]int64, n)
	for i := range n {
		fireAt := ctx.CurrentTimeUtc.Add(chainDelay(i))
		ctx.SetCustomStatus(fmt.Sprintf("timer %d", i))
		if err := ctx.CreateTimer(chainDelay(i)).Await(nil); err != nil {
			return nil, err
		}
		late[i] = ctx.CurrentTimeUtc.Sub(fireAt).Microseconds()
	}
	return late, nil
}

// TestShortTimersFireOnTime: with nothing else going on, only the wait for
// the next timer's fire time wakes the idle fetch, never the poll. A fetch
// that found nothing just before a timer was due, and then looked for the
// next one just after, slept a whole poll interval (a retry's 10 ms timer
// once hung a conformance case that way): each timer here falls due at a
// different point of that window, and must be picked up long before the
// poll. Before the fix 2 to 5 % of them slept through it, almost all of 6.5
// to 9.5 ms: a step's commit, the 5 ms settle and one claim.
func TestShortTimersFireOnTime(t *testing.T) {
	t.Parallel()
	const (
		timers = 200
		poll   = 5 * time.Second
		// Timers fire 10 to 20 ms late here, at worst 220 ms under -race on
		// a loaded 2-core machine; a lost wake-up makes one nearly a whole
		// poll interval late.
		bound = time.Second
	)
	be := open(t, newSchema(t), postgres.Options{PollInterval: poll})
	r := task.NewTaskRegistry()
	if err := r.AddOrchestratorN(timerChain, orchestrateTimerChain); err != nil {
		t.Fatal(err)
	}
	c := taskhubtest.StartWorker(t, be, r, 4)
	start := time.Now()
	id := taskhubtest.Start(t, c, timerChain, api.WithInput(timers))
	// Room for a few lost wake-ups, a poll interval each, to be reported.
	md := taskhubtest.WaitDone(t, c, id, 2*time.Minute)
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("status %s, want COMPLETED; failure %v", md.RuntimeStatus, md.FailureDetails)
	}
	var late []int64
	if err := json.Unmarshal([]byte(md.SerializedOutput), &late); err != nil {
		t.Fatalf("decode output %q: %v", md.SerializedOutput, err)
	}
	var worst time.Duration
	for i, us := range late {
		d := time.Duration(us) * time.Microsecond
		worst = max(worst, d)
		if d > bound {
			t.Errorf("timer %d (%v) fired %v late, want within %v (poll interval %v)", i, chainDelay(i), d, bound, poll)
		}
	}
	t.Logf("%d timers in %v, latest %v late", len(late), time.Since(start).Round(time.Millisecond), worst)
}
