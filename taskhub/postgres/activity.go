package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// claimTask locks the oldest activity task that no live lock holds.
const claimTask = `
UPDATE NewTasks SET LockedBy = $1, LockExpiration = now() + $2 * interval '1 millisecond', DequeueCount = DequeueCount + 1
WHERE SequenceNumber = (
	SELECT SequenceNumber FROM NewTasks
	WHERE LockExpiration IS NULL OR LockExpiration < now()
	ORDER BY SequenceNumber
	LIMIT 1
	FOR UPDATE SKIP LOCKED
)
RETURNING SequenceNumber, InstanceID, EventPayload`

// completeTask deletes a task that is still locked by the caller and queues
// its result for the orchestration, in one statement: no result without the
// lock.
const completeTask = `
WITH done AS (DELETE FROM NewTasks WHERE SequenceNumber = $1 AND LockedBy = $2 RETURNING InstanceID)
INSERT INTO NewEvents (InstanceID, EventPayload) SELECT InstanceID, $3 FROM done`

// GetActivityWorkItem implements backend.Backend. It waits until a task is
// queued (see the package documentation) and returns backend.ErrNoWorkItems
// only after Stop.
func (b *Backend) GetActivityWorkItem(ctx context.Context) (*backend.ActivityWorkItem, error) {
	return longPoll(ctx, b, b.activities, 0, b.claimActivity, nil)
}

// claimActivity locks one task, or returns backend.ErrNoWorkItems.
func (b *Backend) claimActivity(ctx context.Context) (*backend.ActivityWorkItem, error) {
	var (
		seq     int64
		id      string
		payload []byte
	)
	err := b.pool.QueryRow(ctx, claimTask, b.workerName, b.opts.ActivityLockTimeout.Milliseconds()).Scan(&seq, &id, &payload)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, backend.ErrNoWorkItems
	}
	if err != nil {
		return nil, fmt.Errorf("claim activity work item: %w", err)
	}
	e, err := backend.UnmarshalHistoryEvent(payload)
	if err != nil {
		return nil, fmt.Errorf("activity task %d of %s: %w", seq, id, err)
	}
	return &backend.ActivityWorkItem{
		SequenceNumber: seq,
		InstanceID:     api.InstanceID(id),
		NewEvent:       e,
		LockedBy:       b.workerName,
	}, nil
}

// CompleteActivityWorkItem implements backend.Backend: it sends the result to
// the orchestration and deletes the task, or answers
// backend.ErrWorkItemLockLost when another process took the task over.
func (b *Backend) CompleteActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	payload, err := backend.MarshalHistoryEvent(wi.Result)
	if err != nil {
		return err
	}
	tag, err := b.pool.Exec(ctx, completeTask, wi.SequenceNumber, wi.LockedBy, payload)
	if err == nil && tag.RowsAffected() == 0 {
		err = errLockLost("delete task")
	}
	if err != nil {
		return fmt.Errorf("complete activity work item %s: %w", wi, err)
	}
	b.announce(orchestrationWork)
	return nil
}

// AbandonActivityWorkItem implements backend.Backend: it unlocks the task for
// any process to take.
func (b *Backend) AbandonActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	tag, err := b.pool.Exec(ctx, "UPDATE NewTasks SET LockedBy = NULL, LockExpiration = NULL WHERE SequenceNumber = $1 AND LockedBy = $2",
		wi.SequenceNumber, wi.LockedBy)
	if err == nil && tag.RowsAffected() == 0 {
		err = errLockLost("unlock task")
	}
	if err != nil {
		return fmt.Errorf("abandon activity work item %s: %w", wi, err)
	}
	b.announce(activityWork)
	return nil
}
