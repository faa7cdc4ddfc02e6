package workflows_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/workflows"
)

// TestGoldenReplayErasures replays the recorded erasure requests (erased, rejected, overdue)
// with the current code.
func TestGoldenReplayErasures(t *testing.T) {
	replayGoldenFiles(t, "erasure_request_*.json", workflows.RegisterErasures)
}

// TestGoldenReplayErasureSwapped: an ErasureRequest that erases before it records the decision
// no longer replays the recorded erasure, while the unchanged code does.
func TestGoldenReplayErasureSwapped(t *testing.T) {
	r := task.NewTaskRegistry()
	if err := r.AddOrchestratorN(workflows.ErasureRequestName, eraseBeforeDeciding); err != nil {
		t.Fatal(err)
	}
	id, events := loadGolden(t, filepath.Join("testdata", "erasure_request_erased.json"))
	if err := replay(r, id, events); err == nil || !strings.Contains(err.Error(), workflows.EraseRequestedMemberActivity) {
		t.Fatalf("replay = %v; want it to fail where the erasure comes before the decision", err)
	}
	if err := replay(registry(t, workflows.RegisterErasures), id, events); err != nil {
		t.Fatalf("the unchanged code does not replay: %v", err)
	}
}

// eraseBeforeDeciding is ErasureRequest's confirmed path with its last two steps swapped.
func eraseBeforeDeciding(ctx *task.OrchestrationContext) (any, error) {
	var in workflows.ErasureRequestInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	start := ctx.CurrentTimeUtc
	if err := ctx.CallActivity(workflows.TellAdminsErasureRequestedActivity, task.WithActivityInput(in.RequestID)).Await(nil); err != nil {
		return nil, err
	}
	var d workflows.ErasureDecision
	if err := ctx.WaitForSingleEvent(workflows.ErasureDecisionEvent, in.Deadline.Sub(start)/2).Await(&d); err != nil {
		return nil, err
	}
	if err := ctx.CallActivity(workflows.EraseRequestedMemberActivity, task.WithActivityInput(in.RequestID)).Await(nil); err != nil {
		return nil, err
	}
	step := workflows.ErasureStep{RequestID: in.RequestID, Decision: d}
	return nil, ctx.CallActivity(workflows.DecideErasureActivity, task.WithActivityInput(step)).Await(nil)
}
