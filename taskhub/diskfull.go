package taskhub

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"membership/db/sqlitefile"
)

// isDiskFull reports whether err is SQLITE_FULL from the task hub's SQLite.
func isDiskFull(err error) bool { return sqlitefile.IsFull(err) }

// diskFullRetry is how often a work item's result is offered again while the disk is full.
const diskFullRetry = 250 * time.Millisecond

// retryWhileFull runs save until it succeeds, fails for another reason, ctx ends or limit has
// passed, trying again every diskFullRetry while it fails for a full disk.
//
// When the engine cannot save a work item's result it abandons the item, which on a full disk
// fails too: the item stays locked until the lock timeout and then runs again, an activity's
// sends with it. Holding the result and offering it again instead, the work goes on the moment
// space is freed and nothing runs twice. limit stays under the lock timeout, after which the
// item is another worker's to run.
func retryWhileFull(ctx context.Context, log *slog.Logger, what string, limit time.Duration, save func(context.Context) error) error {
	err := save(ctx)
	if !isDiskFull(err) {
		return err
	}
	log.Error("task hub disk full: holding the result, trying again", slog.String("work_item", what), slog.Any("error", err))
	deadline := time.Now().Add(limit)
	t := time.NewTicker(diskFullRetry)
	defer t.Stop()
	for isDiskFull(err) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		err = save(ctx)
	}
	if err == nil {
		log.Info("task hub disk has room again: result saved", slog.String("work_item", what))
	}
	return err
}
