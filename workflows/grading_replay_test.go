package workflows_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/workflows"
)

// TestGoldenReplayGradings replays the recorded invitation rounds with the current code.
func TestGoldenReplayGradings(t *testing.T) {
	replayGoldenFiles(t, "grading_invitation_*.json", workflows.RegisterGradings)
}

// TestGoldenReplayGradingFeesFirst: a GradingInvitation that creates the exam fees before it
// invites anyone no longer replays the recorded round.
func TestGoldenReplayGradingFeesFirst(t *testing.T) {
	r := task.NewTaskRegistry()
	if err := r.AddOrchestratorN(workflows.GradingInvitationName, feesFirstGrading); err != nil {
		t.Fatal(err)
	}
	id, events := loadGolden(t, filepath.Join("testdata", "grading_invitation_closed.json"))
	if err := replay(r, id, events); err == nil || !strings.Contains(err.Error(), workflows.CreateExamFeesActivity) {
		t.Fatalf("replay = %v; want it to fail where the fees come too early", err)
	}
	if err := replay(registry(t, workflows.RegisterGradings), id, events); err != nil {
		t.Fatalf("the unchanged code does not replay: %v", err)
	}
}

// feesFirstGrading is GradingInvitation with the fees created before anything else.
func feesFirstGrading(ctx *task.OrchestrationContext) (any, error) {
	var in workflows.GradingInvitationInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	if err := ctx.CallActivity(workflows.CreateExamFeesActivity, task.WithActivityInput(in.ExamID)).Await(nil); err != nil {
		return nil, err
	}
	return workflows.GradingInvitation(ctx)
}
