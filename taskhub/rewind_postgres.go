package taskhub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/microsoft/durabletask-go/api"
)

// claimPostgres claims a failed instance in the PostgreSQL task hub by locking its row: the
// backend claims orchestration work with FOR UPDATE SKIP LOCKED, so no process fetches the
// instance until the rewind commits, and a rewind racing another waits for it and then sees
// the instance running.
func claimPostgres(ctx context.Context, tx *sql.Tx, id api.InstanceID, _ time.Time) error {
	var status string
	err := tx.QueryRowContext(ctx, `SELECT RuntimeStatus FROM Instances WHERE InstanceID = $1 FOR UPDATE`, string(id)).Scan(&status)
	if err != nil {
		return notFailed(id, "", err)
	}
	if status != storedName(api.RUNTIME_STATUS_FAILED) {
		return notFailed(id, status, nil)
	}
	return nil
}

// notFailed explains why an instance cannot be rewound: err from looking it up, or its
// stored status.
func notFailed(id api.InstanceID, status string, err error) error {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("instance %s: %w", id, api.ErrInstanceNotFound)
	case err != nil:
		return fmt.Errorf("look up instance %s: %w", id, err)
	}
	return fmt.Errorf("%w: %s is %s; only a failed instance can be rewound", ErrWrongState, id, StatusName(storedStatus(status)))
}
