package taskhub

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/task"
)

// chainDelay is the i-th timer's delay in orchestrateTimerChain: 0 to
// 19.5 ms in steps of 0.5 ms, so that across the chain the fire time falls
// at every point of an idle fetch's question and its look for the next
// timer after the step that set the timer.
func chainDelay(i int) time.Duration {
	return time.Duration(i%40) * 500 * time.Microsecond
}

// orchestrateTimerChain waits its input's number of short durable timers one
// after another, and returns how late each fired, in microseconds of
// orchestration time.
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
// the next timer's fire time wakes the idle orchestration fetch, never the
// poll. A fetch whose question found nothing just before a timer was due,
// and whose look for the next timer (NextDue) ran just after, slept a whole
// poll interval: the timer was neither visible to the first nor still ahead
// of the second. Each timer here falls due at a different point of that
// window, and must be picked up long before the poll.
func TestShortTimersFireOnTime(t *testing.T) {
	t.Parallel()
	const (
		timers = 200
		poll   = 5 * time.Second
		// Timers fire a few ms late here, far more under -race on a loaded
		// 2-core machine; a lost wake-up makes one nearly a whole poll
		// interval late.
		bound = time.Second
	)
	h := openTestHub(t, Options{PollInterval: poll})
	startHub(t, h, registry(t, map[string]task.Orchestrator{"TimerChain": orchestrateTimerChain}, nil))
	start := time.Now()
	// Room for a few lost wake-ups, a poll interval each, to be reported.
	md := awaitCompletion(t, h.Client(), schedule(t, h.Client(), "TimerChain", timers), 2*time.Minute)
	if md.RuntimeStatus != api.RUNTIME_STATUS_COMPLETED {
		t.Fatalf("status = %v (failure %v), want COMPLETED", md.RuntimeStatus, md.FailureDetails)
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
