package taskhub

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/microsoft/durabletask-go/api"
)

// claimSQLite claims a failed instance in the SQLite task hub. Its first statement is a write,
// so the transaction takes SQLite's one write lock at once (waiting out the busy timeout):
// one that read first and wrote later could fail when the engine wrote in between. While the
// transaction holds the lock no worker can fetch or save the instance.
func claimSQLite(ctx context.Context, tx *sql.Tx, id api.InstanceID, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE Instances SET LastUpdatedTime = ? WHERE InstanceID = ? AND RuntimeStatus = ?`,
		now.UTC(), string(id), storedName(api.RUNTIME_STATUS_FAILED))
	if err != nil {
		return fmt.Errorf("claim instance: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("claim instance: %w", err)
	}
	if n == 1 {
		return nil
	}
	var status string
	if err := tx.QueryRowContext(ctx, `SELECT RuntimeStatus FROM Instances WHERE InstanceID = ?`, string(id)).Scan(&status); err != nil {
		return notFailed(id, "", err)
	}
	return notFailed(id, status, nil)
}
