package taskhub_test

import (
	"slices"
	"testing"

	"github.com/microsoft/durabletask-go/task"

	"membership/taskhub"
)

func TestOrchestratorNames(t *testing.T) {
	none := func(ctx *task.OrchestrationContext) (any, error) { return nil, nil }
	r := registry(t,
		map[string]task.Orchestrator{"RenewalCampaign": none, "FeeReminder": none, "PhoneVerification": none},
		map[string]task.Activity{"SendSMS": func(task.ActivityContext) (any, error) { return nil, nil }})()
	names, err := taskhub.OrchestratorNames(r)
	if err != nil {
		t.Fatal(err)
	}
	// Sorted, and the activities are not among them.
	if want := []string{"FeeReminder", "PhoneVerification", "RenewalCampaign"}; !slices.Equal(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}
	if names, err := taskhub.OrchestratorNames(task.NewTaskRegistry()); err != nil || len(names) != 0 {
		t.Errorf("empty registry: %q, %v", names, err)
	}
	if _, err := taskhub.OrchestratorNames(nil); err == nil {
		t.Error("no registry: no error")
	}
}
