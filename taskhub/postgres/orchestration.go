package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// settle is how long an idle orchestration fetch, woken by new events, lets
// more of them gather before it claims an instance. Each step replays the
// instance's whole history; without the pause, a fan-in runs one step per
// activity result.
const settle = 5 * time.Millisecond

// maxEventsPerStep is how many new events one orchestration step takes, as in
// the engine's SQLite backend.
const maxEventsPerStep = 1000

// claimInstance locks the instance of the oldest visible event among those
// whose instance is not locked, and takes up to $3 of its visible events, in
// one statement. SKIP LOCKED lets concurrent claims pass each other's
// candidates instead of queueing behind them. When it locks nothing it
// returns instead one row without instance: the milliseconds until the next
// event that is not yet visible (a durable timer, an abandoned step) becomes
// visible, NULL when there is none. Measured from the same now() and
// snapshot as the claim, that row leaves no gap for a timer to fall due
// unseen between the two (see longPoll).
//
// The statement sees the tables as they were when it began. When another
// process completes a step of the instance meanwhile, the instance is
// unlocked by the time the claim locks it, but the events the claim saw are
// gone and the newer ones are not in its view: the instance then comes back
// with one row of NULL events, locked but with nothing to do.
const claimInstance = `
WITH next AS (
	SELECT I.InstanceID
	FROM NewEvents E JOIN Instances I ON I.InstanceID = E.InstanceID
	WHERE (E.VisibleTime IS NULL OR E.VisibleTime <= now())
	  AND (I.LockExpiration IS NULL OR I.LockExpiration < now())
	ORDER BY E.SequenceNumber
	LIMIT 1
	FOR UPDATE OF I SKIP LOCKED
), locked AS (
	UPDATE Instances SET LockedBy = $1, LockExpiration = now() + $2 * interval '1 millisecond'
	FROM next WHERE Instances.InstanceID = next.InstanceID
	RETURNING Instances.InstanceID
), taken AS (
	UPDATE NewEvents SET DequeueCount = DequeueCount + 1, LockedBy = $1
	WHERE SequenceNumber IN (
		SELECT E.SequenceNumber FROM NewEvents E JOIN locked L ON E.InstanceID = L.InstanceID
		WHERE E.VisibleTime IS NULL OR E.VisibleTime <= now()
		ORDER BY E.SequenceNumber
		LIMIT $3
	)
	RETURNING SequenceNumber, EventPayload, DequeueCount
)
SELECT L.InstanceID, T.SequenceNumber, T.EventPayload, T.DequeueCount, NULL::bigint
FROM locked L LEFT JOIN taken T ON true
UNION ALL
SELECT NULL, NULL, NULL, NULL, (
	SELECT ceil(EXTRACT(EPOCH FROM min(VisibleTime) - now()) * 1000)::bigint
	FROM NewEvents WHERE VisibleTime > now())
WHERE NOT EXISTS (SELECT FROM locked)`

// GetOrchestrationWorkItem implements backend.Backend. It waits until an
// instance has work or ctx ends (see longPoll); it never returns
// backend.ErrNoWorkItems.
func (b *Backend) GetOrchestrationWorkItem(ctx context.Context) (*backend.OrchestrationWorkItem, error) {
	return longPoll(ctx, b, b.orchestrations, settle, b.claimOrchestration)
}

// claimOrchestration locks one instance that has visible events and takes up
// to maxEventsPerStep of them, or returns backend.ErrNoWorkItems and how long
// until the next timer is due (the poll interval when none is).
func (b *Backend) claimOrchestration(ctx context.Context) (*backend.OrchestrationWorkItem, time.Duration, error) {
	// A claim that raced a step's completion (see claimInstance) lets the
	// instance go and tries again with a fresh view, a few times. After the
	// last, the completion that made it stale wakes this fetch: it signals
	// after its commit, which came after this fetch took its wake channel.
	for range 3 {
		wi, due, err := b.claimOrchestrationOnce(ctx)
		if !errors.Is(err, errStaleClaim) {
			return wi, due, err
		}
	}
	return nil, b.opts.PollInterval, backend.ErrNoWorkItems
}

// errStaleClaim reports a claim that locked an instance without events.
var errStaleClaim = errors.New("claimed an instance whose events were consumed meanwhile")

// claimOrchestrationOnce makes one claim; see claimOrchestration.
func (b *Backend) claimOrchestrationOnce(ctx context.Context) (*backend.OrchestrationWorkItem, time.Duration, error) {
	rows, err := b.pool.Query(ctx, claimInstance, b.workerName, b.opts.LockTimeout.Milliseconds(), maxEventsPerStep)
	if err != nil {
		return nil, 0, fmt.Errorf("claim orchestration work item: %w", err)
	}
	type row struct {
		id      *string
		seq     *int64
		payload []byte
		dequeue *int32
		dueMS   *int64
	}
	claimed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.id, &x.seq, &x.payload, &x.dequeue, &x.dueMS)
		return x, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("claim orchestration work item: %w", err)
	}
	if len(claimed) == 0 {
		return nil, 0, errors.New("claim orchestration work item: no row, not even the next timer's")
	}
	if claimed[0].id == nil {
		due := b.opts.PollInterval
		if ms := claimed[0].dueMS; ms != nil {
			due = min(due, time.Duration(max(*ms, 0))*time.Millisecond)
		}
		return nil, due, backend.ErrNoWorkItems
	}
	id := *claimed[0].id
	wi := &backend.OrchestrationWorkItem{
		InstanceID: api.InstanceID(id),
		NewEvents:  make([]*backend.HistoryEvent, 0, len(claimed)),
		LockedBy:   b.workerName,
	}
	if claimed[0].seq == nil {
		if _, err := b.pool.Exec(ctx, "UPDATE Instances SET LockedBy = NULL, LockExpiration = NULL WHERE InstanceID = $1 AND LockedBy = $2",
			id, b.workerName); err != nil {
			return nil, 0, fmt.Errorf("let go of instance %s claimed without events: %w", id, err)
		}
		// Claims that passed the instance while it was locked found
		// nothing and sleep; it has new events.
		b.announce(orchestrationWork)
		return nil, 0, errStaleClaim
	}
	// RETURNING keeps no order; the executor needs them first in, first out.
	slices.SortFunc(claimed, func(a, b row) int { return cmp.Compare(*a.seq, *b.seq) })
	var maxDequeue int32
	for _, c := range claimed {
		e, err := backend.UnmarshalHistoryEvent(c.payload)
		if err != nil {
			return nil, 0, fmt.Errorf("event %d of %s: %w", *c.seq, id, err)
		}
		wi.NewEvents = append(wi.NewEvents, e)
		maxDequeue = max(maxDequeue, *c.dequeue)
	}
	wi.RetryCount = maxDequeue - 1
	// Held, and so renewed, only once it is handed out: a lock on events
	// that cannot be read must run out.
	b.held.addInstance(id)
	return wi, 0, nil
}

// AbandonOrchestrationWorkItem implements backend.Backend: it unlocks the
// instance and returns its events to the queue, hidden for the work item's
// abandon delay.
func (b *Backend) AbandonOrchestrationWorkItem(ctx context.Context, wi *backend.OrchestrationWorkItem) error {
	defer b.held.dropInstance(string(wi.InstanceID))
	var visible *time.Time
	if d := wi.GetAbandonDelay(); d > 0 {
		t := time.Now().UTC().Add(d)
		visible = &t
	}
	err := b.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE NewEvents SET LockedBy = NULL, VisibleTime = $1 WHERE InstanceID = $2 AND LockedBy = $3",
			visible, string(wi.InstanceID), wi.LockedBy)
		if err != nil {
			return fmt.Errorf("release events: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errLockLost("release events")
		}
		tag, err = tx.Exec(ctx, "UPDATE Instances SET LockedBy = NULL, LockExpiration = NULL WHERE InstanceID = $1 AND LockedBy = $2",
			string(wi.InstanceID), wi.LockedBy)
		if err != nil {
			return fmt.Errorf("unlock instance: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errLockLost("unlock instance")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("abandon orchestration work item %s: %w", wi.InstanceID, err)
	}
	b.announce(orchestrationWork)
	return nil
}

// GetOrchestrationRuntimeState implements backend.Backend: it loads the
// instance's history.
func (b *Backend) GetOrchestrationRuntimeState(ctx context.Context, wi *backend.OrchestrationWorkItem) (*backend.OrchestrationRuntimeState, error) {
	rows, err := b.pool.Query(ctx, "SELECT EventPayload FROM History WHERE InstanceID = $1 ORDER BY SequenceNumber", string(wi.InstanceID))
	if err != nil {
		return nil, fmt.Errorf("load history of %s: %w", wi.InstanceID, err)
	}
	events, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*backend.HistoryEvent, error) {
		var payload []byte
		if err := r.Scan(&payload); err != nil {
			return nil, err
		}
		return backend.UnmarshalHistoryEvent(payload)
	})
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", wi.InstanceID, err)
	}
	return backend.NewOrchestrationRuntimeState(wi.InstanceID, events), nil
}

// AddNewOrchestrationEvent implements backend.Backend: it queues an event
// (raised event, terminate, suspend, resume) for an instance. Like the
// engine's SQLite backend it does not check that the instance exists.
func (b *Backend) AddNewOrchestrationEvent(ctx context.Context, id api.InstanceID, e *backend.HistoryEvent) error {
	if e == nil || e.Timestamp == nil {
		return errNilEvent
	}
	payload, err := backend.MarshalHistoryEvent(e)
	if err != nil {
		return err
	}
	err = b.inDurableTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO NewEvents (InstanceID, EventPayload) VALUES ($1, $2)", string(id), payload)
		return err
	})
	if err != nil {
		return fmt.Errorf("add event for %s: %w", id, err)
	}
	b.announce(orchestrationWork)
	return nil
}
