package taskhub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Work-item locks as the engine's SQLite backend keeps them: an
// orchestration is locked while Instances.LockExpiration is set (LockedBy
// outlives a completed lock), together with its NewEvents rows' LockedBy;
// an activity while its NewTasks row has LockedBy and LockExpiration.
const (
	releaseInstancesSQL = `UPDATE Instances SET [LockedBy] = NULL, [LockExpiration] = NULL WHERE [LockExpiration] IS NOT NULL`
	releaseEventsSQL    = `UPDATE NewEvents SET [LockedBy] = NULL WHERE [LockedBy] IS NOT NULL`
	releaseTasksSQL     = `UPDATE NewTasks SET [LockedBy] = NULL, [LockExpiration] = NULL WHERE [LockedBy] IS NOT NULL OR [LockExpiration] IS NOT NULL`
)

// ReleaseStaleLocks unlocks every work item locked in the SQLite task hub
// and reports how many orchestration and activity work items it freed.
//
// A process that dies leaves its work items locked until the lock timeout,
// and its successor, having a new worker name, cannot reclaim them. Only the
// process that owns the SQLite file alone (the serve command) may call this,
// and only before Start: afterwards it would take live work from its own
// workers. A PostgreSQL task hub is shared by several processes, whose
// locks only their expiry may release: there it does nothing and returns 0.
func (h *Hub) ReleaseStaleLocks(ctx context.Context) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return 0, errors.New("release stale locks: task hub is shut down")
	case h.started:
		return 0, errors.New("release stale locks: workers already started")
	case h.store == nil:
		return 0, nil
	}
	n, err := releaseLocks(ctx, h.store.db)
	if err != nil {
		return 0, fmt.Errorf("release stale locks: %w", err)
	}
	return n, nil
}

// releaseLocks clears the locks in one transaction.
func releaseLocks(ctx context.Context, db *sql.DB) (n int, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
		}
	}()
	for _, q := range []struct {
		table string
		sql   string
		count bool
	}{
		{"Instances", releaseInstancesSQL, true},
		{"NewEvents", releaseEventsSQL, false},
		{"NewTasks", releaseTasksSQL, true},
	} {
		res, err := tx.ExecContext(ctx, q.sql)
		if err != nil {
			return 0, fmt.Errorf("unlock %s: %w", q.table, err)
		}
		rows, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("count unlocked %s: %w", q.table, err)
		}
		if q.count {
			n += int(rows)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return n, nil
}
