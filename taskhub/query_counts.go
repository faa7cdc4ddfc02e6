package taskhub

import (
	"context"
	"fmt"

	"github.com/microsoft/durabletask-go/api"
)

// Count is how many instances of an orchestrator are in a status.
type Count struct {
	Name   string
	Status api.OrchestrationStatus
	N      int64
}

const countsSQL = `SELECT Name, RuntimeStatus, COUNT(*) FROM Instances GROUP BY Name, RuntimeStatus ORDER BY Name, RuntimeStatus`

// Counts counts the instances by orchestrator name and status, for metrics and the dashboard.
func (x *Instances) Counts(ctx context.Context) ([]Count, error) {
	rows, err := x.db.QueryContext(ctx, countsSQL)
	if err != nil {
		return nil, fmt.Errorf("count instances: %w", err)
	}
	defer rows.Close()
	var counts []Count
	for rows.Next() {
		var c Count
		var status string
		if err := rows.Scan(&c.Name, &status, &c.N); err != nil {
			return nil, fmt.Errorf("count instances: %w", err)
		}
		c.Status = storedStatus(status)
		counts = append(counts, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count instances: %w", err)
	}
	return counts, nil
}
