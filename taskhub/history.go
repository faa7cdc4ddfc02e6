package taskhub

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/microsoft/durabletask-go/api"
	"github.com/microsoft/durabletask-go/backend"
)

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// History returns an instance's history in order, decoded, or api.ErrInstanceNotFound. A
// pending instance has none yet; an instance that continued as new has only its current
// generation's.
func (x *Instances) History(ctx context.Context, id api.InstanceID) ([]*backend.HistoryEvent, error) {
	events, err := readHistory(ctx, x.db, x.pg, id)
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		// No history: a pending instance, or none at all.
		if _, err := x.Get(ctx, id); err != nil {
			return nil, err
		}
	}
	return events, nil
}

// readHistory decodes the History rows of an instance.
func readHistory(ctx context.Context, q querier, pg bool, id api.InstanceID) ([]*backend.HistoryEvent, error) {
	st := newStatement(pg)
	st.add("SELECT EventPayload FROM History WHERE InstanceID = ", st.arg(string(id)), " ORDER BY SequenceNumber")
	rows, err := q.QueryContext(ctx, st.String(), st.args...)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", id, err)
	}
	defer rows.Close()
	var events []*backend.HistoryEvent
	for rows.Next() {
		var payload []byte
		if err := rows.Scan(&payload); err != nil {
			return nil, fmt.Errorf("read history of %s: %w", id, err)
		}
		e, err := backend.UnmarshalHistoryEvent(payload)
		if err != nil {
			return nil, fmt.Errorf("decode history event %d of %s: %w", len(events), id, err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read history of %s: %w", id, err)
	}
	return events, nil
}

// subOrchestrations lists the instances a history started, in order, once each.
func subOrchestrations(events []*backend.HistoryEvent) []api.InstanceID {
	var ids []api.InstanceID
	seen := make(map[string]bool)
	for _, e := range events {
		if c := e.GetSubOrchestrationInstanceCreated(); c != nil && !seen[c.GetInstanceId()] {
			seen[c.GetInstanceId()] = true
			ids = append(ids, api.InstanceID(c.GetInstanceId()))
		}
	}
	return ids
}

// EventType names a history event's kind as Durable Task and Durable Functions do:
// ExecutionStarted, TaskScheduled, TaskCompleted, TimerFired, EventRaised, … It is the name of
// the event's one field of the eventType oneof, capitalised.
func EventType(e *backend.HistoryEvent) string {
	m := e.ProtoReflect()
	oneof := m.Descriptor().Oneofs().ByName("eventType")
	if oneof == nil {
		return "Unknown"
	}
	f := m.WhichOneof(oneof)
	if f == nil {
		return "Unknown"
	}
	name := f.JSONName()
	return strings.ToUpper(name[:1]) + name[1:]
}
