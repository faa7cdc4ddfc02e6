package taskhub

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/microsoft/durabletask-go/api"
)

// The operations below check the instance's state first, as Durable Functions does, so that a
// caller learns that an event or a termination would be dropped; the engine itself would
// accept it silently. The check and the write are not atomic: an instance that finishes in
// between drops what it is sent, which is what the engine does anyway.

// running returns the instance if it exists and has not finished: what an event, a
// termination, a suspension and a resumption need.
func (x *Instances) running(ctx context.Context, id api.InstanceID, what string) (Instance, error) {
	inst, err := x.Get(ctx, id)
	if err != nil {
		return Instance{}, err
	}
	if inst.Finished() {
		return Instance{}, fmt.Errorf("%s %s: %w: it is %s", what, id, ErrWrongState, StatusName(inst.Status))
	}
	return inst, nil
}

// RaiseEvent sends the event name with a JSON payload ("" for none) to a running instance.
func (x *Instances) RaiseEvent(ctx context.Context, id api.InstanceID, name, payload string) error {
	if _, err := x.running(ctx, id, "raise event "+name+" for"); err != nil {
		return err
	}
	var opts []api.RaiseEventOptions
	if payload != "" {
		opts = append(opts, api.WithRawEventData(payload))
	}
	if err := x.client.RaiseEvent(ctx, id, name, opts...); err != nil {
		return fmt.Errorf("raise event %s for %s: %w", name, id, err)
	}
	return nil
}

// Terminate ends a running instance and its sub-orchestrations; the reason becomes its output.
func (x *Instances) Terminate(ctx context.Context, id api.InstanceID, reason string) error {
	if _, err := x.running(ctx, id, "terminate"); err != nil {
		return err
	}
	var opts []api.TerminateOptions
	if reason != "" {
		opts = append(opts, api.WithOutput(reason))
	}
	if err := x.client.TerminateOrchestration(ctx, id, opts...); err != nil {
		return fmt.Errorf("terminate %s: %w", id, err)
	}
	return nil
}

// Suspend stops a running instance from processing events until Resume.
func (x *Instances) Suspend(ctx context.Context, id api.InstanceID, reason string) error {
	if _, err := x.running(ctx, id, "suspend"); err != nil {
		return err
	}
	if err := x.client.SuspendOrchestration(ctx, id, reason); err != nil {
		return fmt.Errorf("suspend %s: %w", id, err)
	}
	return nil
}

// Resume lets a suspended instance go on.
func (x *Instances) Resume(ctx context.Context, id api.InstanceID, reason string) error {
	if _, err := x.running(ctx, id, "resume"); err != nil {
		return err
	}
	if err := x.client.ResumeOrchestration(ctx, id, reason); err != nil {
		return fmt.Errorf("resume %s: %w", id, err)
	}
	return nil
}

// Restart starts the instance's orchestrator again with the same input, from the beginning:
// under a new id (newID) beside the old instance, whatever its state; or under the same id,
// replacing it, which only a finished instance allows. It returns the id it started.
func (x *Instances) Restart(ctx context.Context, id api.InstanceID, newID bool) (api.InstanceID, error) {
	inst, err := x.Get(ctx, id)
	if err != nil {
		return "", err
	}
	var opts []api.NewOrchestrationOptions
	if inst.Input != "" {
		opts = append(opts, api.WithRawInput(inst.Input))
	}
	if !newID {
		if !inst.Finished() {
			return "", fmt.Errorf("restart %s under its own id: %w: it is %s", id, ErrWrongState, StatusName(inst.Status))
		}
		opts = append(opts, api.WithInstanceID(id), api.WithOrchestrationIdReusePolicy(&api.OrchestrationIdReusePolicy{
			Action:          api.REUSE_ID_ACTION_TERMINATE,
			OperationStatus: finishedStatuses,
		}))
	}
	started, err := x.client.ScheduleNewOrchestration(ctx, inst.Name, opts...)
	if err != nil {
		return "", fmt.Errorf("restart %s: %w", id, err)
	}
	return started, nil
}

// finishedStatuses are the final statuses that purge and reuse accept.
var finishedStatuses = []api.OrchestrationStatus{
	api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_FAILED, api.RUNTIME_STATUS_TERMINATED,
}

// Purge deletes a finished instance with its history and its sub-orchestrations' and returns
// how many instances it deleted. A running instance answers api.ErrNotCompleted.
func (x *Instances) Purge(ctx context.Context, id api.InstanceID) (int, error) {
	inst, err := x.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	// Checked here, before any sub-orchestration goes: the backend checks only the instance
	// it deletes last.
	if !slices.Contains(finishedStatuses, inst.Status) {
		return 0, fmt.Errorf("purge %s: %w: it is %s", id, api.ErrNotCompleted, StatusName(inst.Status))
	}
	return x.purgeTree(ctx, id)
}

func (x *Instances) purgeTree(ctx context.Context, id api.InstanceID) (int, error) {
	events, err := readHistory(ctx, x.db, x.pg, id)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, child := range subOrchestrations(events) {
		c, err := x.purgeTree(ctx, child)
		n += c
		// A child that never started, or was purged before, is not an error.
		if err != nil && !errors.Is(err, api.ErrInstanceNotFound) {
			return n, err
		}
	}
	if err := x.be.PurgeOrchestrationState(ctx, id); err != nil {
		return n, fmt.Errorf("purge %s: %w", id, err)
	}
	return n + 1, nil
}

// PurgeWhere purges the finished instances q selects (its Top and After are ignored) and
// returns how many instances it deleted. Asking for a status that is not final answers
// api.ErrNotCompleted: running instances are never purged.
func (x *Instances) PurgeWhere(ctx context.Context, q Query) (int, error) {
	for _, s := range q.Statuses {
		if !slices.Contains(finishedStatuses, s) {
			return 0, fmt.Errorf("purge %s instances: %w", StatusName(s), api.ErrNotCompleted)
		}
	}
	if len(q.Statuses) == 0 {
		q.Statuses = finishedStatuses
	}
	q.Top, q.After, q.WithInput = MaxTop, "", false
	n := 0
	for {
		page, err := x.List(ctx, q)
		if err != nil {
			return n, err
		}
		for _, inst := range page.Instances {
			c, err := x.purgeTree(ctx, inst.ID)
			n += c
			// A sub-orchestration listed after its parent purged it is gone already.
			if err != nil && !errors.Is(err, api.ErrInstanceNotFound) {
				return n, err
			}
		}
		if page.Next == "" {
			return n, nil
		}
		q.After = page.Next
	}
}
