package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// claimTasks locks up to $3 of the oldest activity tasks that no live lock
// holds.
const claimTasks = `
UPDATE NewTasks SET LockedBy = $1, LockExpiration = now() + $2 * interval '1 millisecond', DequeueCount = DequeueCount + 1
WHERE SequenceNumber IN (
	SELECT SequenceNumber FROM NewTasks
	WHERE LockExpiration IS NULL OR LockExpiration < now()
	ORDER BY SequenceNumber
	LIMIT $3
	FOR UPDATE SKIP LOCKED
)
RETURNING SequenceNumber, InstanceID, EventPayload`

// GetActivityWorkItem implements backend.Backend. It waits until a task is
// queued or ctx ends (see longPoll); it never returns backend.ErrNoWorkItems.
func (b *Backend) GetActivityWorkItem(ctx context.Context) (*backend.ActivityWorkItem, error) {
	return longPoll(ctx, b, b.activities, 0, func(ctx context.Context) (*backend.ActivityWorkItem, time.Duration, error) {
		// No task is queued to become visible later: only a write, which
		// signals, or a lock's expiry, which the poll notices, makes one.
		wi, err := b.claimActivity(ctx)
		return wi, b.opts.PollInterval, err
	})
}

// claimActivity hands out a task claimed earlier, or claims up to
// Options.ActivityPrefetch tasks and hands out the first; it returns
// backend.ErrNoWorkItems when there is none.
//
// The engine's worker fetches one task at a time and only then starts it:
// claimed one by one, a fan-out ran no faster than one claim round trip per
// activity, whatever the worker's parallelism.
func (b *Backend) claimActivity(ctx context.Context) (*backend.ActivityWorkItem, error) {
	if wi := b.prefetched.pop(); wi != nil {
		return wi, nil
	}
	rows, err := b.pool.Query(ctx, claimTasks, b.workerName, b.opts.ActivityLockTimeout.Milliseconds(), b.opts.ActivityPrefetch)
	if err != nil {
		return nil, fmt.Errorf("claim activity work items: %w", err)
	}
	claimed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*backend.ActivityWorkItem, error) {
		var (
			seq     int64
			id      string
			payload []byte
		)
		if err := r.Scan(&seq, &id, &payload); err != nil {
			return nil, err
		}
		e, err := backend.UnmarshalHistoryEvent(payload)
		if err != nil {
			return nil, fmt.Errorf("activity task %d of %s: %w", seq, id, err)
		}
		return &backend.ActivityWorkItem{SequenceNumber: seq, InstanceID: api.InstanceID(id), NewEvent: e, LockedBy: b.workerName}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim activity work items: %w", err)
	}
	if len(claimed) == 0 {
		return nil, backend.ErrNoWorkItems
	}
	slices.SortFunc(claimed, func(x, y *backend.ActivityWorkItem) int { return cmp.Compare(x.SequenceNumber, y.SequenceNumber) })
	for _, wi := range claimed {
		b.held.addTasks(wi.SequenceNumber)
	}
	b.prefetched.push(claimed[1:])
	return claimed[0], nil
}

// releasePrefetched unlocks the tasks claimed but not handed out, for any
// process to take at once.
func (b *Backend) releasePrefetched(ctx context.Context) error {
	seqs := b.prefetched.drain()
	if len(seqs) == 0 {
		return nil
	}
	defer b.held.dropTasks(seqs...)
	_, err := b.pool.Exec(ctx, "UPDATE NewTasks SET LockedBy = NULL, LockExpiration = NULL WHERE SequenceNumber = ANY($1) AND LockedBy = $2",
		seqs, b.workerName)
	if err != nil {
		return fmt.Errorf("release %d prefetched activity work items: %w", len(seqs), err)
	}
	b.announce(activityWork)
	return nil
}

// prefetch holds tasks claimed ahead of the worker's asking.
type prefetch struct {
	mu    sync.Mutex
	items []*backend.ActivityWorkItem
}

func (p *prefetch) pop() *backend.ActivityWorkItem {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.items) == 0 {
		return nil
	}
	wi := p.items[0]
	p.items = p.items[1:]
	return wi
}

func (p *prefetch) push(items []*backend.ActivityWorkItem) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.items = append(p.items, items...)
}

// drain empties the buffer and returns the sequence numbers it held.
func (p *prefetch) drain() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	seqs := make([]int64, 0, len(p.items))
	for _, wi := range p.items {
		seqs = append(seqs, wi.SequenceNumber)
	}
	p.items = nil
	return seqs
}

// AbandonActivityWorkItem implements backend.Backend: it unlocks the task for
// any process to take.
func (b *Backend) AbandonActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	defer b.held.dropTasks(wi.SequenceNumber)
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
