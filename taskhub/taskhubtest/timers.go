package taskhubtest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/microsoft/durabletask-go/task"
)

// TimerChainOrchestrator is the name under which RegisterTimerChain registers
// an orchestrator that waits its input's number of short durable timers one
// after another, and returns how late each fired, in microseconds of
// orchestration time.
const TimerChainOrchestrator = "taskhubtest.TimerChain"

// TimerChainPoll is the poll interval to give the backend under
// CheckTimersOnTime: long, so that a timer that waited for the poll instead
// of its own fire time stands out.
const TimerChainPoll = 5 * time.Second

// RegisterTimerChain registers TimerChainOrchestrator in r.
func RegisterTimerChain(r *task.TaskRegistry) error {
	if err := r.AddOrchestratorN(TimerChainOrchestrator, timerChain); err != nil {
		return fmt.Errorf("register %s: %w", TimerChainOrchestrator, err)
	}
	return nil
}

// chainDelay is the i-th timer's delay: 0 to 19.5 ms in steps of 0.5 ms, so
// that across the chain the fire time falls at every point of an idle
// fetch's question and its look for the next timer, after the step that set
// the timer.
func chainDelay(i int) time.Duration {
	return time.Duration(i%40) * 500 * time.Microsecond
}

func timerChain(ctx *task.OrchestrationContext) (any, error) {
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

// CheckTimersOnTime runs a chain of 200 timers through c, whose worker runs
// RegisterTimerChain's orchestrator on an otherwise idle backend that polls
// every TimerChainPoll, and fails tb for each timer that fired more than a
// second late.
//
// Only the wait for the next timer's fire time may wake the idle
// orchestration fetch, never the poll. A fetch that found nothing just
// before a timer was due, and looked for the next timer just after, slept a
// whole poll interval: the timer was neither visible to the first nor still
// ahead of the second. Each timer here falls due at a different point of
// that window.
func CheckTimersOnTime(tb testing.TB, c backend.TaskHubClient) {
	tb.Helper()
	const (
		timers = 200
		// Timers fire a few ms late on SQLite, 10 to 20 ms on PostgreSQL, at
		// worst 220 ms under -race on a loaded 2-core machine; a lost wake-up
		// makes one nearly a whole poll interval late.
		bound = time.Second
	)
	start := time.Now()
	id := Start(tb, c, TimerChainOrchestrator, api.WithInput(timers))
	// Room for a few lost wake-ups, a poll interval each, to be reported.
	md := WaitDone(tb, c, id, 2*time.Minute)
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		tb.Fatalf("status %s, want COMPLETED; failure %v", md.RuntimeStatus, md.FailureDetails)
	}
	var late []int64
	if err := json.Unmarshal([]byte(md.SerializedOutput), &late); err != nil {
		tb.Fatalf("decode output %q: %v", md.SerializedOutput, err)
	}
	var worst time.Duration
	for i, us := range late {
		d := time.Duration(us) * time.Microsecond
		worst = max(worst, d)
		if d > bound {
			tb.Errorf("timer %d (%v) fired %v late, want within %v (poll interval %v)", i, chainDelay(i), d, bound, TimerChainPoll)
		}
	}
	tb.Logf("%d timers in %v, latest %v late", len(late), time.Since(start).Round(time.Millisecond), worst)
}
