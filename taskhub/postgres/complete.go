package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"google.golang.org/protobuf/proto"
)

// subOrchestrationReuse is the id reuse policy for sub-orchestrations, as in
// the engine's SQLite backend: a failed instance of the id is replaced.
func subOrchestrationReuse() *api.OrchestrationIdReusePolicy {
	return &api.OrchestrationIdReusePolicy{
		OperationStatus: []api.OrchestrationStatus{api.RUNTIME_STATUS_FAILED},
		Action:          api.REUSE_ID_ACTION_TERMINATE,
	}
}

// CompleteOrchestrationWorkItem implements backend.Backend: in one
// transaction it saves the step's state and history, queues the activities,
// timers and messages the step produced, and deletes the events it consumed.
// A lock another process took over answers backend.ErrWorkItemLockLost.
func (b *Backend) CompleteOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	err := b.inTx(ctx, func(tx pgx.Tx) error {
		if err := b.updateInstance(ctx, tx, wi); err != nil {
			return err
		}
		if err := saveHistory(ctx, tx, wi); err != nil {
			return err
		}
		if err := b.queueTasks(ctx, tx, wi); err != nil {
			return err
		}
		if err := b.queueEvents(ctx, tx, wi); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM NewEvents WHERE InstanceID = $1 AND LockedBy = $2", string(wi.InstanceID), wi.LockedBy)
		if err != nil {
			return fmt.Errorf("delete consumed events: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errLockLost("delete consumed events")
		}
		// Events that arrived during the step are waiting for the instance,
		// which is now unlocked.
		return b.notifyIn(ctx, tx, orchestrationWork)
	})
	if err != nil {
		return fmt.Errorf("complete orchestration work item %s: %w", wi.InstanceID, err)
	}
	b.wakeLocal(orchestrationWork)
	b.wakeLocal(activityWork)
	return nil
}

// updateInstance writes the instance's status, input, output, failure and
// custom status, and releases its lock (LockedBy stays, as in the engine).
func (b *Backend) updateInstance(ctx context.Context, tx pgx.Tx, wi *backend.OrchestrationWorkItem) error {
	var set strings.Builder
	args := make([]any, 0, 10)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	created, completed := false, false
	for _, e := range wi.State.NewEvents() {
		if es := e.GetExecutionStarted(); es != nil && !created {
			created = true
			fmt.Fprintf(&set, "CreatedTime = %s, Input = %s, ", arg(e.Timestamp.AsTime()), arg(es.GetInput().GetValue()))
		} else if ec := e.GetExecutionCompleted(); ec != nil && !completed {
			completed = true
			var failure []byte
			if ec.FailureDetails != nil {
				var err error
				if failure, err = proto.Marshal(ec.FailureDetails); err != nil {
					return fmt.Errorf("marshal failure details: %w", err)
				}
			}
			fmt.Fprintf(&set, "CompletedTime = now(), Output = %s, FailureDetails = %s, ", arg(ec.GetResult().GetValue()), arg(failure))
		}
	}
	if cs := wi.State.CustomStatus; cs != nil {
		fmt.Fprintf(&set, "CustomStatus = %s, ", arg(cs.GetValue()))
	}
	q := fmt.Sprintf("UPDATE Instances SET %sRuntimeStatus = %s, LastUpdatedTime = now(), LockExpiration = NULL WHERE InstanceID = %s AND LockedBy = %s",
		set.String(), arg(statusString(wi.State.RuntimeStatus())), arg(string(wi.InstanceID)), arg(wi.LockedBy))
	tag, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update instance: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errLockLost("update instance (gone, or locked by another worker)")
	}
	return nil
}

// saveHistory appends the step's new events to the history; continue-as-new
// first clears the old history.
func saveHistory(ctx context.Context, tx pgx.Tx, wi *backend.OrchestrationWorkItem) error {
	if wi.State.ContinuedAsNew() {
		if _, err := tx.Exec(ctx, "DELETE FROM History WHERE InstanceID = $1", string(wi.InstanceID)); err != nil {
			return fmt.Errorf("clear history for continue-as-new: %w", err)
		}
	}
	payloads, err := marshalAll(wi.State.NewEvents())
	if err != nil || len(payloads) == 0 {
		return err
	}
	// One statement for any number of events: arrays, not a placeholder per
	// value, so there is neither a parameter limit nor numbering to get wrong.
	_, err = tx.Exec(ctx, `INSERT INTO History (InstanceID, SequenceNumber, EventPayload)
		SELECT $1, $2 + n - 1, p FROM unnest($3::bytea[]) WITH ORDINALITY AS t(p, n)`,
		string(wi.InstanceID), len(wi.State.OldEvents()), payloads)
	if err != nil {
		return fmt.Errorf("insert history: %w", err)
	}
	return nil
}

// queueTasks queues the activities the step scheduled.
func (b *Backend) queueTasks(ctx context.Context, tx pgx.Tx, wi *backend.OrchestrationWorkItem) error {
	payloads, err := marshalAll(wi.State.PendingTasks())
	if err != nil || len(payloads) == 0 {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO NewTasks (InstanceID, EventPayload)
		SELECT $1, p FROM unnest($2::bytea[]) WITH ORDINALITY AS t(p, n) ORDER BY n`,
		string(wi.InstanceID), payloads)
	if err != nil {
		return fmt.Errorf("insert tasks: %w", err)
	}
	return b.notifyIn(ctx, tx, activityWork)
}

// queueEvents queues the step's timers (to itself, visible when they fire)
// and messages (to other instances), creating the instances of the
// sub-orchestrations it starts.
func (b *Backend) queueEvents(ctx context.Context, tx pgx.Tx, wi *backend.OrchestrationWorkItem) error {
	timers, messages := wi.State.PendingTimers(), wi.State.PendingMessages()
	n := len(timers) + len(messages)
	if n == 0 {
		return nil
	}
	ids := make([]string, 0, n)
	payloads := make([][]byte, 0, n)
	visible := make([]*time.Time, 0, n)
	for _, e := range timers {
		p, err := backend.MarshalHistoryEvent(e)
		if err != nil {
			return err
		}
		at := e.GetTimerFired().GetFireAt().AsTime()
		ids, payloads, visible = append(ids, string(wi.InstanceID)), append(payloads, p), append(visible, &at)
	}
	for _, m := range messages {
		if m.HistoryEvent.GetExecutionStarted() != nil {
			if err := b.createSubOrchestration(ctx, tx, wi.InstanceID, m.HistoryEvent); err != nil {
				return err
			}
		}
		p, err := backend.MarshalHistoryEvent(m.HistoryEvent)
		if err != nil {
			return err
		}
		ids, payloads, visible = append(ids, m.TargetInstanceID), append(payloads, p), append(visible, nil)
	}
	_, err := tx.Exec(ctx, `INSERT INTO NewEvents (InstanceID, EventPayload, VisibleTime)
		SELECT i, p, v FROM unnest($1::text[], $2::bytea[], $3::timestamptz[]) WITH ORDINALITY AS t(i, p, v, n) ORDER BY n`,
		ids, payloads, visible)
	if err != nil {
		return fmt.Errorf("insert events: %w", err)
	}
	return b.notifyIn(ctx, tx, orchestrationWork)
}

// createSubOrchestration creates the instance a step starts. When the id is
// taken by an instance the policy keeps, its start event is still queued (the
// running instance drops it as a duplicate) and the step goes on. The SQLite
// backend means to do the same but tests for an error it never gets, so
// there the whole step fails again and again.
func (b *Backend) createSubOrchestration(ctx context.Context, tx pgx.Tx, parent api.InstanceID, e *backend.HistoryEvent) error {
	_, err := b.createInstance(ctx, tx, e, subOrchestrationReuse())
	if errors.Is(err, api.ErrDuplicateInstance) || errors.Is(err, api.ErrIgnoreInstance) {
		b.log.Warn("dropping sub-orchestration creation: an instance with its id exists",
			slog.String("instance_id", string(parent)),
			slog.String("sub_instance_id", e.GetExecutionStarted().GetOrchestrationInstance().GetInstanceId()))
		return nil
	}
	if err != nil {
		return fmt.Errorf("create sub-orchestration: %w", err)
	}
	return nil
}

func marshalAll(events []*backend.HistoryEvent) ([][]byte, error) {
	out := make([][]byte, 0, len(events))
	for _, e := range events {
		p, err := backend.MarshalHistoryEvent(e)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
