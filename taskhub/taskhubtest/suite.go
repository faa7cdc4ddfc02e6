package taskhubtest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/microsoft/durabletask-go/task"
)

// The orchestrators and activities of the suite, registered by register.
const (
	greeting   = "Greeting"
	greet      = "Greet"
	retryFlaky = "RetryFlaky"
	flaky      = "Flaky"
	sleep      = "Sleep"
	awaitEvent = "AwaitEvent"
	parent     = "Parent"
	counter    = "Counter"
	fail       = "Fail"
	kaput      = "Kaput"

	// goEvent is the event AwaitEvent waits for.
	goEvent = "Go"
	// waitingStatus is the custom status of an AwaitEvent that waits.
	waitingStatus = "waiting for Go"
	// timedOut is the output of an AwaitEvent whose wait timed out.
	timedOut = "timed out"
)

// state is what the activities of one test record.
type state struct {
	runs *Executions

	mu       sync.Mutex
	attempts map[string]int // Flaky executions per key
}

func (s *state) attempt(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[key]++
	return s.attempts[key]
}

func (s *state) attemptsOf(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[key]
}

// flakyInput tells Flaky (and RetryFlaky) how often to fail.
type flakyInput struct {
	Key         string `json:"key"`
	Failures    int    `json:"failures"`
	MaxAttempts int    `json:"max_attempts"`
}

// register adds the suite's orchestrators and activities, recording into s.
func (s *state) register(r *task.TaskRegistry) error {
	orchestrators := map[string]task.Orchestrator{
		greeting:   orchestrateGreeting,
		retryFlaky: orchestrateRetryFlaky,
		sleep:      orchestrateSleep,
		awaitEvent: orchestrateAwaitEvent,
		parent:     orchestrateParent,
		counter:    orchestrateCounter,
		fail:       orchestrateFail,
	}
	activities := map[string]task.Activity{
		greet: func(ctx task.ActivityContext) (any, error) {
			var name string
			if err := ctx.GetInput(&name); err != nil {
				return nil, err
			}
			return "Hello, " + name + "!", nil
		},
		flaky: func(ctx task.ActivityContext) (any, error) {
			var in flakyInput
			if err := ctx.GetInput(&in); err != nil {
				return nil, err
			}
			if n := s.attempt(in.Key); n <= in.Failures {
				return nil, fmt.Errorf("attempt %d failed", n)
			}
			return "ok", nil
		},
		kaput: func(task.ActivityContext) (any, error) {
			return nil, errors.New("kaput")
		},
	}
	for name, o := range orchestrators {
		if err := r.AddOrchestratorN(name, o); err != nil {
			return err
		}
	}
	for name, a := range activities {
		if err := r.AddActivityN(name, a); err != nil {
			return err
		}
	}
	return RegisterFanOut(r, s.runs)
}

func orchestrateGreeting(ctx *task.OrchestrationContext) (any, error) {
	var name string
	if err := ctx.GetInput(&name); err != nil {
		return nil, err
	}
	var out string
	err := ctx.CallActivity(greet, task.WithActivityInput(name)).Await(&out)
	return out, err
}

func orchestrateRetryFlaky(ctx *task.OrchestrationContext) (any, error) {
	var in flakyInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	var out string
	err := ctx.CallActivity(flaky, task.WithActivityInput(in), task.WithActivityRetryPolicy(&task.RetryPolicy{
		MaxAttempts:          in.MaxAttempts,
		InitialRetryInterval: 10 * time.Millisecond,
	})).Await(&out)
	return out, err
}

// orchestrateSleep waits a durable timer of its input in milliseconds and
// returns how long, in orchestration time, the wait took.
func orchestrateSleep(ctx *task.OrchestrationContext) (any, error) {
	var ms int
	if err := ctx.GetInput(&ms); err != nil {
		return nil, err
	}
	start := ctx.CurrentTimeUtc
	if err := ctx.CreateTimer(time.Duration(ms) * time.Millisecond).Await(nil); err != nil {
		return nil, err
	}
	return ctx.CurrentTimeUtc.Sub(start).Milliseconds(), nil
}

// orchestrateAwaitEvent waits for goEvent (its input is the timeout in
// milliseconds, negative for none) and returns the event's payload.
func orchestrateAwaitEvent(ctx *task.OrchestrationContext) (any, error) {
	var ms int
	if err := ctx.GetInput(&ms); err != nil {
		return nil, err
	}
	ctx.SetCustomStatus(waitingStatus)
	var payload string
	err := ctx.WaitForSingleEvent(goEvent, time.Duration(ms)*time.Millisecond).Await(&payload)
	if errors.Is(err, task.ErrTaskCanceled) {
		return timedOut, nil
	}
	return payload, err
}

// orchestrateParent runs AwaitEvent without timeout as a sub-orchestration
// whose instance id is its input.
func orchestrateParent(ctx *task.OrchestrationContext) (any, error) {
	var child string
	if err := ctx.GetInput(&child); err != nil {
		return nil, err
	}
	var out string
	err := ctx.CallSubOrchestrator(awaitEvent, task.WithSubOrchestratorInput(-1),
		task.WithSubOrchestrationInstanceID(child)).Await(&out)
	return out, err
}

// orchestrateCounter greets once per generation and continues as new until
// its input reaches 5.
func orchestrateCounter(ctx *task.OrchestrationContext) (any, error) {
	var n int
	if err := ctx.GetInput(&n); err != nil {
		return nil, err
	}
	if err := ctx.CallActivity(greet, task.WithActivityInput(fmt.Sprint(n))).Await(nil); err != nil {
		return nil, err
	}
	if n < 5 {
		ctx.ContinueAsNew(n + 1)
		return nil, nil
	}
	return n, nil
}

// orchestrateFail fails in the way its input names.
func orchestrateFail(ctx *task.OrchestrationContext) (any, error) {
	var mode string
	if err := ctx.GetInput(&mode); err != nil {
		return nil, err
	}
	switch mode {
	case "orchestrator":
		return nil, errors.New("boom")
	case "activity":
		return nil, ctx.CallActivity(kaput).Await(nil)
	}
	return nil, fmt.Errorf("unknown failure mode %q", mode)
}
