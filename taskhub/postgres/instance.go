package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// CreateOrchestrationInstance implements backend.Backend. An existing id
// answers api.ErrDuplicateInstance unless the reuse policy matches its status:
// then IGNORE keeps the old instance and returns nil, TERMINATE replaces it.
func (b *Backend) CreateOrchestrationInstance(ctx context.Context, e *backend.HistoryEvent, opts ...backend.OrchestrationIdReusePolicyOptions) error {
	policy := &api.OrchestrationIdReusePolicy{}
	for _, opt := range opts {
		if err := opt(policy); err != nil {
			return fmt.Errorf("apply id reuse policy: %w", err)
		}
	}
	payload, err := backend.MarshalHistoryEvent(e)
	if err != nil {
		return err
	}
	err = b.inDurableTx(ctx, func(tx pgx.Tx) error {
		id, err := b.createInstance(ctx, tx, e, policy)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO NewEvents (InstanceID, EventPayload) VALUES ($1, $2)", id, payload); err != nil {
			return fmt.Errorf("insert start event of %s: %w", id, err)
		}
		return nil
	})
	if errors.Is(err, api.ErrIgnoreInstance) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create orchestration instance: %w", err)
	}
	b.announce(orchestrationWork)
	return nil
}

// createInstance inserts the Instances row for an ExecutionStarted event and
// applies policy when the id exists. It returns the instance id.
func (b *Backend) createInstance(ctx context.Context, tx pgx.Tx, e *backend.HistoryEvent, policy *api.OrchestrationIdReusePolicy) (string, error) {
	if e == nil || e.Timestamp == nil {
		return "", errNilEvent
	}
	es := e.GetExecutionStarted()
	if es == nil {
		return "", errors.New("history event must be an ExecutionStarted event")
	}
	id := es.GetOrchestrationInstance().GetInstanceId()
	inserted, err := insertInstance(ctx, tx, e)
	if err != nil || inserted {
		return id, err
	}
	var status string
	err = tx.QueryRow(ctx, "SELECT RuntimeStatus FROM Instances WHERE InstanceID = $1", id).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) {
		// Purged between the insert and this read.
		return id, api.ErrInstanceNotFound
	}
	if err != nil {
		return id, fmt.Errorf("read status of existing instance %s: %w", id, err)
	}
	if !slices.Contains(policy.GetOperationStatus(), parseStatus(status)) {
		return id, api.ErrDuplicateInstance
	}
	switch policy.GetAction() {
	case api.REUSE_ID_ACTION_IGNORE:
		b.log.Warn("instance exists; dropping duplicate create request", slog.String("instance_id", id))
		return id, api.ErrIgnoreInstance
	case api.REUSE_ID_ACTION_TERMINATE:
		if err := deleteInstance(ctx, tx, id, false); err != nil {
			return id, fmt.Errorf("replace instance %s: %w", id, err)
		}
		inserted, err := insertInstance(ctx, tx, e)
		if err != nil {
			return id, err
		}
		if !inserted {
			return id, fmt.Errorf("replace instance %s: %w", id, api.ErrDuplicateInstance)
		}
		return id, nil
	}
	return id, api.ErrDuplicateInstance
}

// insertInstance inserts the row of a new instance unless its id exists.
func insertInstance(ctx context.Context, tx pgx.Tx, e *backend.HistoryEvent) (bool, error) {
	es := e.GetExecutionStarted()
	var parent *string
	if p := es.GetParentInstance().GetOrchestrationInstance().GetInstanceId(); p != "" {
		parent = &p
	}
	tag, err := tx.Exec(ctx, `INSERT INTO Instances
		(Name, Version, InstanceID, ExecutionID, Input, RuntimeStatus, CreatedTime, ParentInstanceID)
		VALUES ($1, $2, $3, $4, $5, 'PENDING', $6, $7)
		ON CONFLICT (InstanceID) DO NOTHING`,
		es.GetName(),
		es.GetVersion().GetValue(),
		es.GetOrchestrationInstance().GetInstanceId(),
		es.GetOrchestrationInstance().GetExecutionId().GetValue(),
		es.GetInput().GetValue(),
		e.Timestamp.AsTime(),
		parent,
	)
	if err != nil {
		return false, fmt.Errorf("insert instance: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// PurgeOrchestrationState implements backend.Backend: it deletes everything
// of a completed, failed or terminated instance. An unknown id answers
// api.ErrInstanceNotFound, a running one api.ErrNotCompleted.
func (b *Backend) PurgeOrchestrationState(ctx context.Context, id api.InstanceID) error {
	err := b.inDurableTx(ctx, func(tx pgx.Tx) error {
		return deleteInstance(ctx, tx, string(id), true)
	})
	if err != nil {
		return fmt.Errorf("purge instance %s: %w", id, err)
	}
	return nil
}

// deleteInstance deletes an instance with its history and pending messages;
// with onlyFinished, only if it has finished.
func deleteInstance(ctx context.Context, tx pgx.Tx, id string, onlyFinished bool) error {
	q := "DELETE FROM Instances WHERE InstanceID = $1"
	if onlyFinished {
		q += " AND RuntimeStatus IN ('COMPLETED', 'FAILED', 'TERMINATED')"
	}
	tag, err := tx.Exec(ctx, q, id)
	if err != nil {
		return fmt.Errorf("delete instance: %w", err)
	}
	if tag.RowsAffected() == 0 {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM Instances WHERE InstanceID = $1)", id).Scan(&exists); err != nil {
			return fmt.Errorf("look up instance: %w", err)
		}
		if exists {
			return api.ErrNotCompleted
		}
		return api.ErrInstanceNotFound
	}
	for _, table := range []string{"History", "NewEvents", "NewTasks"} {
		if _, err := tx.Exec(ctx, "DELETE FROM "+table+" WHERE InstanceID = $1", id); err != nil {
			return fmt.Errorf("delete from %s: %w", table, err)
		}
	}
	return nil
}

// statusString is the stored form of a runtime status, as the engine's
// SQLite backend writes it: RUNNING, COMPLETED, ….
func statusString(s api.OrchestrationStatus) string {
	return strings.TrimPrefix(s.String(), "ORCHESTRATION_STATUS_")
}

// parseStatus reads a stored runtime status; unknown text reads as RUNNING,
// the zero status, as in the engine.
func parseStatus(s string) api.OrchestrationStatus {
	for _, st := range []api.OrchestrationStatus{
		api.RUNTIME_STATUS_RUNNING, api.RUNTIME_STATUS_COMPLETED, api.RUNTIME_STATUS_CONTINUED_AS_NEW,
		api.RUNTIME_STATUS_FAILED, api.RUNTIME_STATUS_CANCELED, api.RUNTIME_STATUS_TERMINATED,
		api.RUNTIME_STATUS_PENDING, api.RUNTIME_STATUS_SUSPENDED,
	} {
		if statusString(st) == s {
			return st
		}
	}
	return api.RUNTIME_STATUS_RUNNING
}
