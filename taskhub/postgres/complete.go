package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// statement is one statement of a batch, with what its result must satisfy.
type statement struct {
	what  string // for errors
	sql   string
	args  []any
	check func(pgconn.CommandTag) error // nil: any result
}

// CompleteOrchestrationWorkItem implements backend.Backend: in one
// transaction it saves the step's state and history, queues the activities,
// timers and messages the step produced, and deletes the events it consumed.
// A lock another process took over answers backend.ErrWorkItemLockLost.
func (b *Backend) CompleteOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	defer b.held.dropInstance(string(wi.InstanceID))
	batch, err := stepStatements(wi)
	if err != nil {
		return fmt.Errorf("complete orchestration work item %s: %w", wi.InstanceID, err)
	}
	err = b.inTx(ctx, func(tx pgx.Tx) error {
		for _, m := range wi.State.PendingMessages() {
			if m.HistoryEvent.GetExecutionStarted() != nil {
				if err := b.createSubOrchestration(ctx, tx, wi.InstanceID, m.HistoryEvent); err != nil {
					return err
				}
			}
		}
		return runBatch(ctx, tx, batch)
	})
	if err != nil {
		return fmt.Errorf("complete orchestration work item %s: %w", wi.InstanceID, err)
	}
	// Orchestration work even without new events: events that arrived during
	// the step wait for the instance, which is now unlocked.
	b.announce(orchestrationWork)
	if len(wi.State.PendingTasks()) > 0 {
		b.announce(activityWork)
	}
	return nil
}

// stepStatements lists the statements that save a step, to be sent in one round
// trip.
func stepStatements(wi *backend.OrchestrationWorkItem) ([]statement, error) {
	update, err := updateInstance(wi)
	if err != nil {
		return nil, err
	}
	batch := []statement{update}
	id := string(wi.InstanceID)
	if wi.State.ContinuedAsNew() {
		batch = append(batch, statement{what: "clear history for continue-as-new", sql: "DELETE FROM History WHERE InstanceID = $1", args: []any{id}})
	}
	history, err := marshalAll(wi.State.NewEvents())
	if err != nil {
		return nil, err
	}
	if len(history) > 0 {
		// Arrays, not a placeholder per value: any number of rows in one
		// statement, and no numbering to get wrong.
		batch = append(batch, statement{what: "insert history", sql: `INSERT INTO History (InstanceID, SequenceNumber, EventPayload)
			SELECT $1, $2 + n - 1, p FROM unnest($3::bytea[]) WITH ORDINALITY AS t(p, n)`,
			args: []any{id, len(wi.State.OldEvents()), history}})
	}
	tasks, err := marshalAll(wi.State.PendingTasks())
	if err != nil {
		return nil, err
	}
	if len(tasks) > 0 {
		batch = append(batch, statement{what: "insert tasks", sql: `INSERT INTO NewTasks (InstanceID, EventPayload)
			SELECT $1, p FROM unnest($2::bytea[]) WITH ORDINALITY AS t(p, n) ORDER BY n`,
			args: []any{id, tasks}})
	}
	if events, err := outbox(wi); err != nil {
		return nil, err
	} else if events != nil {
		batch = append(batch, *events)
	}
	batch = append(batch, statement{
		what: "delete consumed events",
		sql:  "DELETE FROM NewEvents WHERE InstanceID = $1 AND LockedBy = $2",
		args: []any{id, wi.LockedBy},
		check: func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() == 0 {
				return errLockLost("delete consumed events")
			}
			return nil
		},
	})
	return batch, nil
}

// updateInstance writes the instance's status, input, output, failure and
// custom status, and releases its lock (LockedBy stays, as in the engine).
func updateInstance(wi *backend.OrchestrationWorkItem) (statement, error) {
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
					return statement{}, fmt.Errorf("marshal failure details: %w", err)
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
	return statement{what: "update instance", sql: q, args: args, check: func(tag pgconn.CommandTag) error {
		if tag.RowsAffected() == 0 {
			return errLockLost("update instance (gone, or locked by another worker)")
		}
		return nil
	}}, nil
}

// outbox is the statement that queues the step's timers (to the instance
// itself, visible when they fire) and messages (to other instances), or nil
// when it has none.
func outbox(wi *backend.OrchestrationWorkItem) (*statement, error) {
	timers, messages := wi.State.PendingTimers(), wi.State.PendingMessages()
	n := len(timers) + len(messages)
	if n == 0 {
		return nil, nil
	}
	ids := make([]string, 0, n)
	payloads := make([][]byte, 0, n)
	visible := make([]*time.Time, 0, n)
	for _, e := range timers {
		p, err := backend.MarshalHistoryEvent(e)
		if err != nil {
			return nil, err
		}
		at := e.GetTimerFired().GetFireAt().AsTime()
		ids, payloads, visible = append(ids, string(wi.InstanceID)), append(payloads, p), append(visible, &at)
	}
	for _, m := range messages {
		p, err := backend.MarshalHistoryEvent(m.HistoryEvent)
		if err != nil {
			return nil, err
		}
		ids, payloads, visible = append(ids, m.TargetInstanceID), append(payloads, p), append(visible, nil)
	}
	return &statement{what: "insert events", sql: `INSERT INTO NewEvents (InstanceID, EventPayload, VisibleTime)
		SELECT i, p, v FROM unnest($1::text[], $2::bytea[], $3::timestamptz[]) WITH ORDINALITY AS t(i, p, v, n) ORDER BY n`,
		args: []any{ids, payloads, visible}}, nil
}

// runBatch sends the statements in one round trip and checks their results
// in order.
func runBatch(ctx context.Context, tx pgx.Tx, batch []statement) (err error) {
	var pb pgx.Batch
	for _, s := range batch {
		pb.Queue(s.sql, s.args...)
	}
	results := tx.SendBatch(ctx, &pb)
	defer func() {
		if cerr := results.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("finish batch: %w", cerr)
		}
	}()
	for _, s := range batch {
		tag, err := results.Exec()
		if err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		if s.check != nil {
			if err := s.check(tag); err != nil {
				return err
			}
		}
	}
	return nil
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
