package taskhub

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"google.golang.org/protobuf/encoding/protojson"
)

// Rewind makes a failed instance go on from its failure, keeping what succeeded: the
// activities that completed stay completed (they do not run again), the failed ones run again,
// failed sub-orchestrations are rewound the same way, and the orchestrator replays its history
// up to the failure as it does on every step.
//
// The engine has no rewind, so this rewrites the task hub's tables in one transaction. Each
// orchestration step is saved as an OrchestratorStarted event, the events it received, and
// what it did; the step that failed the instance is the last one. Rewind deletes that step from
// the history, delivers the events it received again — except failures, whose activities are
// queued to run again — and puts the instance back to running. Work the failed instance had
// outstanding is made whole: results that arrived after the failure were dropped by the
// engine, so activities and timers with no result anywhere are queued again, and a finished
// sub-orchestration's result is delivered again.
//
// Only a failed instance can be rewound (ErrWrongState otherwise). reason is logged.
func (x *Instances) Rewind(ctx context.Context, id api.InstanceID, reason string) error {
	claim := claimSQLite
	if x.pg {
		claim = claimPostgres
	}
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rewind %s: begin: %w", id, err)
	}
	r := rewinder{tx: tx, pg: x.pg, claim: claim, now: time.Now().UTC()}
	if err := r.rewind(ctx, id); err != nil {
		return errors.Join(fmt.Errorf("rewind %s: %w", id, err), tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rewind %s: commit: %w", id, err)
	}
	x.wake()
	x.log.Info("instance rewound", slog.String("instance_id", string(id)), slog.String("reason", reason), slog.Int("sub_orchestrations", len(r.done)-1))
	return nil
}

// claimFunc takes a failed instance for rewinding inside tx, so that no worker touches it
// until the transaction ends; it returns api.ErrInstanceNotFound, or ErrWrongState for an
// instance that has not failed. It is the part of a rewind that differs between the stores.
type claimFunc func(ctx context.Context, tx *sql.Tx, id api.InstanceID, now time.Time) error

// rewinder rewinds an instance, and the sub-orchestrations its failure came from, in one
// transaction.
type rewinder struct {
	tx    *sql.Tx
	pg    bool
	claim claimFunc
	now   time.Time
	done  []api.InstanceID // instances rewound so far, the first one first
}

func (r *rewinder) rewind(ctx context.Context, id api.InstanceID) error {
	if err := r.claim(ctx, r.tx, id, r.now); err != nil {
		return err
	}
	history, err := readHistory(ctx, r.tx, r.pg, id)
	if err != nil {
		return err
	}
	queued, err := r.queued(ctx, id)
	if err != nil {
		return err
	}
	p, err := planRewind(history, queued, func(child api.InstanceID) (Instance, error) { return readInstance(ctx, r.tx, r.pg, child) })
	if err != nil {
		return err
	}
	for _, child := range p.rewind {
		if err := r.rewind(ctx, child); err != nil {
			return fmt.Errorf("sub-orchestration %s: %w", child, err)
		}
	}
	if err := r.write(ctx, id, p); err != nil {
		return err
	}
	r.done = append(r.done, id)
	return nil
}

// queuedWork is what waits in the queues for an instance: events not yet delivered (with
// their rows, so that failed results can be taken out) and activities not yet completed.
type queuedWork struct {
	events []queuedEvent
	tasks  []queuedEvent
}

type queuedEvent struct {
	seq int64
	e   *backend.HistoryEvent
}

func (r *rewinder) queued(ctx context.Context, id api.InstanceID) (queuedWork, error) {
	var q queuedWork
	for _, table := range []string{"NewEvents", "NewTasks"} {
		st := newStatement(r.pg)
		st.add("SELECT SequenceNumber, EventPayload FROM "+table+" WHERE InstanceID = ", st.arg(string(id)), " ORDER BY SequenceNumber")
		rows, err := r.tx.QueryContext(ctx, st.String(), st.args...)
		if err != nil {
			return q, fmt.Errorf("read %s: %w", table, err)
		}
		for rows.Next() {
			var ev queuedEvent
			var payload []byte
			if err := rows.Scan(&ev.seq, &payload); err != nil {
				return q, errors.Join(fmt.Errorf("read %s: %w", table, err), rows.Close())
			}
			if ev.e, err = backend.UnmarshalHistoryEvent(payload); err != nil {
				return q, errors.Join(fmt.Errorf("decode %s row %d: %w", table, ev.seq, err), rows.Close())
			}
			if table == "NewTasks" {
				q.tasks = append(q.tasks, ev)
			} else {
				q.events = append(q.events, ev)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return q, fmt.Errorf("read %s: %w", table, err)
		}
	}
	return q, nil
}

// write applies a plan: the failed step leaves the history, the queues get what it needs, and
// the instance runs again.
func (r *rewinder) write(ctx context.Context, id api.InstanceID, p rewindPlan) error {
	sid := string(id)
	exec := func(what string, st *statement) error {
		if _, err := r.tx.ExecContext(ctx, st.String(), st.args...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	st := newStatement(r.pg)
	st.add("DELETE FROM History WHERE InstanceID = ", st.arg(sid), " AND SequenceNumber >= ", st.arg(p.keep))
	if err := exec("delete the failed step", st); err != nil {
		return err
	}
	for _, d := range []struct {
		table string
		rows  []int64
	}{{"NewEvents", p.drop}, {"NewTasks", p.dropTasks}} {
		for _, seq := range d.rows {
			st := newStatement(r.pg)
			st.add("DELETE FROM "+d.table+" WHERE InstanceID = ", st.arg(sid), " AND SequenceNumber = ", st.arg(seq))
			if err := exec("take out a queued "+d.table+" row", st); err != nil {
				return err
			}
		}
	}
	for _, d := range p.deliver {
		payload, err := backend.MarshalHistoryEvent(d.e)
		if err != nil {
			return err
		}
		st := newStatement(r.pg)
		var visible any // NULL: at once
		if !d.visible.IsZero() {
			visible = d.visible.UTC()
		}
		st.add("INSERT INTO NewEvents (InstanceID, EventPayload, VisibleTime) VALUES (", st.arg(sid), ", ", st.arg(payload), ", ", st.arg(visible), ")")
		if err := exec("queue an event", st); err != nil {
			return err
		}
	}
	for _, t := range p.tasks {
		payload, err := backend.MarshalHistoryEvent(t)
		if err != nil {
			return err
		}
		st := newStatement(r.pg)
		st.add("INSERT INTO NewTasks (InstanceID, EventPayload) VALUES (", st.arg(sid), ", ", st.arg(payload), ")")
		if err := exec("queue an activity", st); err != nil {
			return err
		}
	}
	status := api.RUNTIME_STATUS_RUNNING
	if p.keep == 0 {
		status = api.RUNTIME_STATUS_PENDING
	}
	st = newStatement(r.pg)
	st.add("UPDATE Instances SET RuntimeStatus = ", st.arg(storedName(status)),
		", LastUpdatedTime = ", st.time(r.now),
		", CompletedTime = NULL, Output = NULL, FailureDetails = NULL WHERE InstanceID = ", st.arg(sid))
	return exec("mark the instance running", st)
}

// rewindPlan is what rewinding one instance changes.
type rewindPlan struct {
	keep      int                     // history events kept: those before the failed step
	deliver   []delivery              // events to queue for the instance
	tasks     []*backend.HistoryEvent // TaskScheduled events of activities to run again
	drop      []int64                 // queued results to take out (NewEvents rows)
	dropTasks []int64                 // queued activities to take out (NewTasks rows)
	rewind    []api.InstanceID        // failed sub-orchestrations to rewind too
}

// delivery is an event to queue, visible from a time (zero: at once).
type delivery struct {
	e       *backend.HistoryEvent
	visible time.Time
}

// workKey names a piece of work an orchestrator started: an activity, a timer or a
// sub-orchestration, by its kind and the sequence number (EventId) the orchestrator gave it.
type workKey struct {
	kind string // "task", "timer" or "sub"
	id   int32
}

// scheduledWork is the work an event starts, if it starts any.
func scheduledWork(e *backend.HistoryEvent) (workKey, bool) {
	switch {
	case e.GetTaskScheduled() != nil:
		return workKey{"task", e.GetEventId()}, true
	case e.GetTimerCreated() != nil:
		return workKey{"timer", e.GetEventId()}, true
	case e.GetSubOrchestrationInstanceCreated() != nil:
		return workKey{"sub", e.GetEventId()}, true
	}
	return workKey{}, false
}

// result is the work an event ends, and whether it ended in failure.
func result(e *backend.HistoryEvent) (k workKey, failed, ok bool) {
	switch {
	case e.GetTaskCompleted() != nil:
		return workKey{"task", e.GetTaskCompleted().GetTaskScheduledId()}, false, true
	case e.GetTaskFailed() != nil:
		return workKey{"task", e.GetTaskFailed().GetTaskScheduledId()}, true, true
	case e.GetTimerFired() != nil:
		return workKey{"timer", e.GetTimerFired().GetTimerId()}, false, true
	case e.GetSubOrchestrationInstanceCompleted() != nil:
		return workKey{"sub", e.GetSubOrchestrationInstanceCompleted().GetTaskScheduledId()}, false, true
	case e.GetSubOrchestrationInstanceFailed() != nil:
		return workKey{"sub", e.GetSubOrchestrationInstanceFailed().GetTaskScheduledId()}, true, true
	}
	return workKey{}, false, false
}

// received reports whether a history event is one a step received, as opposed to one it
// wrote about itself (its start marker, the work it started, its completion).
func received(e *backend.HistoryEvent) bool {
	_, starts := scheduledWork(e)
	return !starts && e.GetOrchestratorStarted() == nil && e.GetOrchestratorCompleted() == nil &&
		e.GetExecutionCompleted() == nil && e.GetEventSent() == nil
}

// planRewind works out how a failed instance goes on, from its history, its queues and a
// lookup of its sub-orchestrations.
func planRewind(history []*backend.HistoryEvent, queued queuedWork, child func(api.InstanceID) (Instance, error)) (rewindPlan, error) {
	last := -1
	for i := len(history) - 1; i >= 0 && last < 0; i-- {
		if history[i].GetOrchestratorStarted() != nil {
			last = i
		}
	}
	if last < 0 {
		return rewindPlan{}, errors.New("the instance has no history to rewind")
	}
	failed := false
	for _, e := range history[last:] {
		if c := e.GetExecutionCompleted(); c != nil && c.GetOrchestrationStatus() == api.RUNTIME_STATUS_FAILED {
			failed = true
		}
	}
	if !failed {
		return rewindPlan{}, errors.New("the last step of its history did not fail it")
	}
	p := rewindPlan{keep: last}
	started := make(map[workKey]*backend.HistoryEvent) // the work the kept history started
	var order []workKey
	for _, e := range history[:last] {
		if k, ok := scheduledWork(e); ok {
			started[k] = e
			order = append(order, k)
		}
	}
	// Work the failed step itself started is started again when the step runs again, so
	// what of it is still queued goes.
	again := make(map[workKey]bool)
	for _, e := range history[last+1:] {
		if k, ok := scheduledWork(e); ok {
			again[k] = true
		}
	}
	ended := make(map[workKey]bool) // work with a result that stands
	for _, e := range history[:last] {
		if k, _, ok := result(e); ok {
			ended[k] = true
		}
	}
	// retry runs failed work once more: an activity is queued, a sub-orchestration rewound.
	retry := func(k workKey) error {
		e, ok := started[k]
		if !ok {
			return fmt.Errorf("a failure refers to %s %d, which the history never started", k.kind, k.id)
		}
		ended[k] = true
		if k.kind == "sub" {
			p.rewind = append(p.rewind, api.InstanceID(e.GetSubOrchestrationInstanceCreated().GetInstanceId()))
		} else {
			p.tasks = append(p.tasks, e)
		}
		return nil
	}
	for _, e := range history[last+1:] {
		if !received(e) {
			continue
		}
		k, bad, ok := result(e)
		if ok && bad {
			if err := retry(k); err != nil {
				return rewindPlan{}, err
			}
			continue
		}
		if ok {
			ended[k] = true
		}
		p.deliver = append(p.deliver, delivery{e: e})
	}
	for _, q := range queued.events {
		k, bad, ok := result(q.e)
		switch {
		case !ok: // an event raised or a termination waits its turn
		case again[k] || (bad && ended[k]):
			p.drop = append(p.drop, q.seq)
		case bad:
			p.drop = append(p.drop, q.seq)
			if err := retry(k); err != nil {
				return rewindPlan{}, err
			}
		default:
			ended[k] = true
		}
	}
	for _, q := range queued.tasks {
		k := workKey{"task", q.e.GetEventId()}
		if again[k] {
			p.dropTasks = append(p.dropTasks, q.seq)
			continue
		}
		ended[k] = true
	}
	for _, k := range order {
		if ended[k] {
			continue
		}
		if err := p.resume(k, started[k], child); err != nil {
			return rewindPlan{}, err
		}
	}
	return p, nil
}

// resume makes outstanding work — started before the failure, with no result anywhere because
// the engine dropped it while the instance was failed — produce its result again.
func (p *rewindPlan) resume(k workKey, e *backend.HistoryEvent, child func(api.InstanceID) (Instance, error)) error {
	switch k.kind {
	case "task":
		p.tasks = append(p.tasks, e)
	case "timer":
		fireAt := e.GetTimerCreated().GetFireAt().AsTime()
		fired, err := newEvent("timerFired", map[string]any{"timerId": k.id, "fireAt": fireAt.Format(time.RFC3339Nano)})
		if err != nil {
			return err
		}
		p.deliver = append(p.deliver, delivery{e: fired, visible: fireAt})
	case "sub":
		id := api.InstanceID(e.GetSubOrchestrationInstanceCreated().GetInstanceId())
		inst, err := child(id)
		if err != nil {
			return fmt.Errorf("sub-orchestration %s: %w", id, err)
		}
		switch inst.Status {
		case api.RUNTIME_STATUS_FAILED:
			p.rewind = append(p.rewind, id)
		case api.RUNTIME_STATUS_COMPLETED:
			body := map[string]any{"taskScheduledId": k.id}
			if inst.Output != "" {
				body["result"] = inst.Output
			}
			done, err := newEvent("subOrchestrationInstanceCompleted", body)
			if err != nil {
				return err
			}
			p.deliver = append(p.deliver, delivery{e: done})
		case api.RUNTIME_STATUS_TERMINATED, api.RUNTIME_STATUS_CANCELED:
			return fmt.Errorf("sub-orchestration %s: %w: it is %s; restart it instead", id, ErrWrongState, StatusName(inst.Status))
		}
		// A sub-orchestration still running reports to its parent when it ends.
	}
	return nil
}

// newEvent builds a history event of one kind (its field name in protobuf JSON) from that
// field's value. The engine's constructors and event types are internal to it; the protobuf
// JSON form is public.
func newEvent(kind string, value map[string]any) (*backend.HistoryEvent, error) {
	doc, err := json.Marshal(map[string]any{
		"eventId":   -1,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		kind:        value,
	})
	if err != nil {
		return nil, fmt.Errorf("build %s event: %w", kind, err)
	}
	e := new(backend.HistoryEvent)
	if err := protojson.Unmarshal(doc, e); err != nil {
		return nil, fmt.Errorf("build %s event: %w", kind, err)
	}
	return e, nil
}
