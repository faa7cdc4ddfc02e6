package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
	"google.golang.org/protobuf/proto"
)

// GetOrchestrationMetadata implements backend.Backend. An unknown id answers
// api.ErrInstanceNotFound.
func (b *Backend) GetOrchestrationMetadata(ctx context.Context, id api.InstanceID) (*api.OrchestrationMetadata, error) {
	var (
		name, status                string
		created, updated            time.Time
		input, output, customStatus *string
		failurePayload              []byte
	)
	err := b.pool.QueryRow(ctx, `SELECT Name, RuntimeStatus, CreatedTime, LastUpdatedTime, Input, Output, CustomStatus, FailureDetails
		FROM Instances WHERE InstanceID = $1`, string(id)).
		Scan(&name, &status, &created, &updated, &input, &output, &customStatus, &failurePayload)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, api.ErrInstanceNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read instance %s: %w", id, err)
	}
	var failure *backend.TaskFailureDetails
	if len(failurePayload) > 0 {
		failure = &backend.TaskFailureDetails{}
		if err := proto.Unmarshal(failurePayload, failure); err != nil {
			return nil, fmt.Errorf("unmarshal failure details of %s: %w", id, err)
		}
	}
	return api.NewOrchestrationMetadata(id, name, parseStatus(status), created.UTC(), updated.UTC(),
		deref(input), deref(output), deref(customStatus), failure), nil
}

// deref reads a NULL column as the empty string, as the engine does.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
