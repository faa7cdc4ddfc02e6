package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/microsoft/durabletask-go/backend"
)

// completeTasks deletes the tasks still locked by their callers and queues
// their results for the orchestrations, in one statement: no result without
// its lock. It returns the tasks it completed.
const completeTasks = `
WITH done AS (
	DELETE FROM NewTasks T
	USING unnest($1::bigint[], $2::text[]) AS u(seq, locker)
	WHERE T.SequenceNumber = u.seq AND T.LockedBy = u.locker
	RETURNING T.SequenceNumber, T.InstanceID
), queued AS (
	INSERT INTO NewEvents (InstanceID, EventPayload)
	SELECT d.InstanceID, r.payload
	FROM unnest($1::bigint[], $3::bytea[]) WITH ORDINALITY AS r(seq, payload, n)
	JOIN done d ON d.SequenceNumber = r.seq
	ORDER BY r.n
)
SELECT SequenceNumber FROM done`

// maxCompletionBatch bounds how many completions one statement saves.
const maxCompletionBatch = 256

// completion is one activity result waiting to be saved.
type completion struct {
	seq     int64
	locker  string
	payload []byte
	done    chan error // buffered: the completer never waits for the caller
}

// CompleteActivityWorkItem implements backend.Backend: it sends the result to
// the orchestration and deletes the task, or answers
// backend.ErrWorkItemLockLost when another process took the task over.
//
// Results that arrive while the previous ones are being saved are saved
// together, in one statement: the worker's parallel activities finish at
// once, and a round trip each made the completions the bottleneck of a
// fan-out.
func (b *Backend) CompleteActivityWorkItem(ctx context.Context, wi *backend.ActivityWorkItem) error {
	defer b.held.dropTasks(wi.SequenceNumber)
	payload, err := backend.MarshalHistoryEvent(wi.Result)
	if err != nil {
		return err
	}
	c := &completion{seq: wi.SequenceNumber, locker: wi.LockedBy, payload: payload, done: make(chan error, 1)}
	select {
	case b.completions <- c:
	case <-b.completerDone:
		return fmt.Errorf("complete activity work item %s: backend closed", wi)
	case <-ctx.Done():
		return fmt.Errorf("complete activity work item %s: %w", wi, ctx.Err())
	}
	select {
	case err = <-c.done:
	case <-ctx.Done():
		// The result may still be saved; then the abandon that follows
		// finds the task gone and fails harmlessly.
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("complete activity work item %s: %w", wi, err)
	}
	return nil
}

// complete saves the completions sent to it, those that arrive during a
// statement together in the next, until ctx ends.
func (b *Backend) complete(ctx context.Context) {
	for {
		var first *completion
		select {
		case <-ctx.Done():
			return
		case first = <-b.completions:
		}
		batch := []*completion{first}
	gather:
		for len(batch) < maxCompletionBatch {
			select {
			case c := <-b.completions:
				batch = append(batch, c)
			default:
				break gather
			}
		}
		b.saveCompletions(ctx, batch)
	}
}

// saveCompletions saves one batch and tells each caller its outcome.
func (b *Backend) saveCompletions(ctx context.Context, batch []*completion) {
	seqs := make([]int64, len(batch))
	lockers := make([]string, len(batch))
	payloads := make([][]byte, len(batch))
	for i, c := range batch {
		seqs[i], lockers[i], payloads[i] = c.seq, c.locker, c.payload
	}
	// A statement of its own deadline: the completer's context ends only
	// with the Backend.
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rows, err := b.pool.Query(sctx, completeTasks, seqs, lockers, payloads)
	var saved []int64
	if err == nil {
		saved, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil {
		for _, c := range batch {
			c.done <- fmt.Errorf("save result: %w", err)
		}
		return
	}
	ok := make(map[int64]bool, len(saved))
	for _, s := range saved {
		ok[s] = true
	}
	for _, c := range batch {
		if ok[c.seq] {
			c.done <- nil
		} else {
			c.done <- errLockLost("delete task")
		}
	}
	if len(saved) > 0 {
		b.announce(orchestrationWork)
	}
}
