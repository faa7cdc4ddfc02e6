package workflows_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/workflows"
)

// TestGoldenReplayFeesAndCampaigns replays the recorded runs of the fee and campaign
// orchestrators with the current code.
func TestGoldenReplayFeesAndCampaigns(t *testing.T) {
	replayGoldenFiles(t, "fee_*.json", workflows.RegisterFees)
	replayGoldenFiles(t, "renewal_campaign_*.json", workflows.RegisterCampaigns)
	replayGoldenFiles(t, "campaign_batch_*.json", workflows.RegisterCampaigns)
	replayGoldenFiles(t, "collection_*.json", workflows.RegisterCollections)
}

// TestGoldenReplayCollectionWithoutNotices: a FeeCollection that builds the bank file without
// sending the pre-notifications first no longer replays the recorded run.
func TestGoldenReplayCollectionWithoutNotices(t *testing.T) {
	r := task.NewTaskRegistry()
	if err := r.AddOrchestratorN(workflows.FeeCollectionName, fileFirstCollection); err != nil {
		t.Fatal(err)
	}
	id, events := loadGolden(t, filepath.Join("testdata", "collection_settled.json"))
	if err := replay(r, id, events); err == nil || !strings.Contains(err.Error(), workflows.BuildCollectionFileActivity) {
		t.Fatalf("replay = %v; want it to fail where the file comes too early", err)
	}
	if err := replay(registry(t, workflows.RegisterCollections), id, events); err != nil {
		t.Fatalf("the unchanged code does not replay: %v", err)
	}
}

// fileFirstCollection is FeeCollection with the file built before anything else.
func fileFirstCollection(ctx *task.OrchestrationContext) (any, error) {
	var in workflows.FeeCollectionInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	if err := ctx.CallActivity(workflows.BuildCollectionFileActivity, task.WithActivityInput(in.CollectionID)).Await(nil); err != nil {
		return nil, err
	}
	return workflows.FeeCollection(ctx)
}

// TestGoldenReplayFeeReminderSwapped: a FeeReminder that marks the fee overdue before it
// reminds no longer replays the recorded run.
func TestGoldenReplayFeeReminderSwapped(t *testing.T) {
	r := task.NewTaskRegistry()
	if err := r.AddOrchestratorN(workflows.FeeReminderName, overdueFirstReminder); err != nil {
		t.Fatal(err)
	}
	id, events := loadGolden(t, filepath.Join("testdata", "fee_reminder_overdue.json"))
	err := replay(r, id, events)
	if err == nil || !strings.Contains(err.Error(), "activity SendFeeReminder") {
		t.Fatalf("replay = %v; want it to fail at the swapped step", err)
	}
	if err := replay(registry(t, workflows.RegisterFees), id, events); err != nil {
		t.Fatalf("the unchanged code does not replay: %v", err)
	}
}

// overdueFirstReminder is FeeReminder with its last step moved to the front.
func overdueFirstReminder(ctx *task.OrchestrationContext) (any, error) {
	var in workflows.FeeReminderInput
	if err := ctx.GetInput(&in); err != nil {
		return nil, err
	}
	var status string
	if err := ctx.CallActivity(workflows.MarkFeeOverdueActivity, task.WithActivityInput(in.FeeID)).Await(&status); err != nil {
		return nil, err
	}
	return workflows.FeeReminder(ctx)
}

func registry(t *testing.T, register func(*task.TaskRegistry) error) *task.TaskRegistry {
	t.Helper()
	r := task.NewTaskRegistry()
	if err := register(r); err != nil {
		t.Fatal(err)
	}
	return r
}
