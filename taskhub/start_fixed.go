package taskhub

import (
	"context"
	"errors"
	"fmt"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// StartFixed starts the orchestrator name as the instance id, for instances
// whose id is fixed by what they are about: the one "fee-scheduler", one
// "fee-reminder:{fee_id}" per fee. It reports whether it started one.
//
// An instance with that id that failed or was terminated is replaced (its
// history is deleted). Any other existing one — pending, running, suspended
// or completed — is left alone and started is false without an error: a fee
// already reminded must not be reminded again because the scheduler ran
// twice. input may be nil for none.
func StartFixed(ctx context.Context, c backend.TaskHubClient, name string, id api.InstanceID, input any) (started bool, err error) {
	opts := []api.NewOrchestrationOptions{
		api.WithInstanceID(id),
		api.WithOrchestrationIdReusePolicy(&api.OrchestrationIdReusePolicy{
			Action: api.REUSE_ID_ACTION_TERMINATE,
			OperationStatus: []api.OrchestrationStatus{
				api.RUNTIME_STATUS_FAILED,
				api.RUNTIME_STATUS_TERMINATED,
			},
		}),
	}
	if input != nil {
		opts = append(opts, api.WithInput(input))
	}
	_, err = c.ScheduleNewOrchestration(ctx, name, opts...)
	switch {
	case errors.Is(err, api.ErrDuplicateInstance):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("start %s as %q: %w", name, id, err)
	}
	return true, nil
}
