package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// renewLocks extends the expiry of every lock this Backend holds, every
// third of the lock timeout, until ctx ends. A step or activity may thus run
// longer than the lock timeout without another process taking it over, while
// the locks of a process that died run out within one timeout.
func (b *Backend) renewLocks(ctx context.Context) {
	t := time.NewTicker(b.opts.renewEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := b.renew(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("renew task hub locks", slog.String("worker", b.workerName), slog.Any("error", err))
		}
	}
}

// renew extends this Backend's orchestration and activity locks once.
func (b *Backend) renew(ctx context.Context) error {
	// LockExpiration IS NOT NULL: a finished step keeps LockedBy but clears
	// the expiry, and must stay unlocked.
	if _, err := b.pool.Exec(ctx, `UPDATE Instances SET LockExpiration = now() + $2 * interval '1 millisecond'
		WHERE LockExpiration IS NOT NULL AND LockedBy = $1`, b.workerName, b.opts.LockTimeout.Milliseconds()); err != nil {
		return fmt.Errorf("renew instance locks: %w", err)
	}
	if _, err := b.pool.Exec(ctx, `UPDATE NewTasks SET LockExpiration = now() + $2 * interval '1 millisecond'
		WHERE LockedBy = $1`, b.workerName, b.opts.ActivityLockTimeout.Milliseconds()); err != nil {
		return fmt.Errorf("renew task locks: %w", err)
	}
	return nil
}
