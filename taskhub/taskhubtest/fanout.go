package taskhubtest

import (
	"fmt"
	"maps"
	"sync"

	"github.com/microsoft/durabletask-go/task"
)

// Names under which RegisterFanOut registers its orchestrators and activity.
const (
	FanOutOrchestrator = "taskhubtest.FanOut"
	BatchOrchestrator  = "taskhubtest.FanOutBatch"
	RecordActivity     = "taskhubtest.Record"
)

// FanOutInput is the input of FanOutOrchestrator.
type FanOutInput struct {
	// Activities is how many RecordActivity calls to make.
	Activities int `json:"activities"`
	// BatchSize, when above 0, makes the calls from sub-orchestrations of
	// that many calls each, all started in one step; 0 schedules every call
	// in one step of the orchestrator itself.
	BatchSize int `json:"batch_size"`
}

// Executions counts RecordActivity executions per call, to tell a call that
// ran twice from one that ran once. Safe for concurrent use.
type Executions struct {
	mu   sync.Mutex
	runs map[string]int
}

// NewExecutions returns an empty count.
func NewExecutions() *Executions {
	return &Executions{runs: make(map[string]int)}
}

func (x *Executions) record(key string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.runs[key]++
}

// Calls is how many distinct calls ran at least once.
func (x *Executions) Calls() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.runs)
}

// Runs returns how often each call ran, by call.
func (x *Executions) Runs() map[string]int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return maps.Clone(x.runs)
}

// Repeated is how many executions ran a call that had already run.
func (x *Executions) Repeated() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for _, runs := range x.runs {
		n += runs - 1
	}
	return n
}

// RegisterFanOut registers FanOut, FanOutBatch and RecordActivity, which
// counts its executions in x; the input of RecordActivity is a string that
// names the call. Both orchestrators
// return how many calls completed. Several registries (worker sets) may
// share one x.
func RegisterFanOut(r *task.TaskRegistry, x *Executions) error {
	if err := r.AddOrchestratorN(FanOutOrchestrator, FanOut); err != nil {
		return fmt.Errorf("register %s: %w", FanOutOrchestrator, err)
	}
	if err := r.AddOrchestratorN(BatchOrchestrator, FanOutBatch); err != nil {
		return fmt.Errorf("register %s: %w", BatchOrchestrator, err)
	}
	record := func(ctx task.ActivityContext) (any, error) {
		var key string
		if err := ctx.GetInput(&key); err != nil {
			return nil, fmt.Errorf("read %s input: %w", RecordActivity, err)
		}
		x.record(key)
		return nil, nil
	}
	if err := r.AddActivityN(RecordActivity, record); err != nil {
		return fmt.Errorf("register %s: %w", RecordActivity, err)
	}
	return nil
}

// FanOut is the orchestrator registered as FanOutOrchestrator: it makes the
// RecordActivity calls its FanOutInput asks for and returns their number.
func FanOut(ctx *task.OrchestrationContext) (any, error) {
	var in FanOutInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, fmt.Errorf("read %s input: %w", FanOutOrchestrator, err)
	}
	if in.BatchSize <= 0 {
		if err := recordAll(ctx, in.Activities); err != nil {
			return nil, err
		}
		return in.Activities, nil
	}
	var batches []task.Task
	for start := 0; start < in.Activities; start += in.BatchSize {
		size := min(in.BatchSize, in.Activities-start)
		batches = append(batches, ctx.CallSubOrchestrator(BatchOrchestrator,
			task.WithSubOrchestratorInput(size),
			task.WithSubOrchestrationInstanceID(fmt.Sprintf("%s:batch:%d", ctx.ID, start))))
	}
	done := 0
	for _, b := range batches {
		var n int
		if err := b.Await(&n); err != nil {
			return nil, fmt.Errorf("batch: %w", err)
		}
		done += n
	}
	return done, nil
}

// FanOutBatch is the orchestrator registered as BatchOrchestrator: it makes
// as many RecordActivity calls as its input says, all in one step.
func FanOutBatch(ctx *task.OrchestrationContext) (any, error) {
	var n int
	if err := ctx.GetInput(&n); err != nil {
		return nil, fmt.Errorf("read %s input: %w", BatchOrchestrator, err)
	}
	if err := recordAll(ctx, n); err != nil {
		return nil, err
	}
	return n, nil
}

// recordAll schedules n RecordActivity calls in one step, then awaits them.
func recordAll(ctx *task.OrchestrationContext, n int) error {
	calls := make([]task.Task, n)
	for i := range calls {
		calls[i] = ctx.CallActivity(RecordActivity, task.WithActivityInput(fmt.Sprintf("%s/%d", ctx.ID, i)))
	}
	for i, c := range calls {
		if err := c.Await(nil); err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
	}
	return nil
}
