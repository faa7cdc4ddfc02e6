package postgres_test

import (
	"context"
	"testing"

	"membership/taskhub/postgres"
)

// TestReaderPlansEachQuery: the DB handle prepares and caches its statements
// (pgx's default), and PostgreSQL would plan a cached one for every status
// alike after five runs, walking the CreatedTime index for a rare status
// instead of the (RuntimeStatus, CreatedTime, InstanceID) one. Each run of
// the instance list must be planned for its own status.
func TestReaderPlansEachQuery(t *testing.T) {
	t.Parallel()
	b := open(t, newSchema(t), postgres.Options{})
	ctx := context.Background()
	conn, err := b.DB().Conn(ctx)
	if err != nil {
		t.Fatalf("take a connection: %v", err)
	}
	defer conn.Close()
	const list = `SELECT InstanceID FROM Instances WHERE RuntimeStatus = $1 ORDER BY CreatedTime DESC, InstanceID DESC LIMIT 101`
	for _, status := range []string{"FAILED", "RUNNING", "FAILED", "PENDING", "FAILED", "SUSPENDED", "FAILED", "RUNNING"} {
		rows, err := conn.QueryContext(ctx, list, status)
		if err != nil {
			t.Fatalf("list %s: %v", status, err)
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("list %s: %v", status, err)
		}
	}
	var generic, custom int64
	err = conn.QueryRowContext(ctx, "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) FROM pg_prepared_statements WHERE statement = $1", list).
		Scan(&generic, &custom)
	if err != nil {
		t.Fatalf("read the connection's prepared statements: %v", err)
	}
	if generic != 0 {
		t.Errorf("list planned generically %d times (and for its status %d times), want never", generic, custom)
	}
}
