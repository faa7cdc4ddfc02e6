package postgres_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"membership/taskhub/postgres"
	"membership/taskhub/taskhubtest"
)

// serverURL is the PostgreSQL server the tests use.
func serverURL() string {
	if u := os.Getenv("MEMBERSHIP_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// newSchema names a schema of the test's own, dropped with everything in it
// when the test ends. Without a server the test is skipped, except in CI.
func newSchema(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL is required in CI: %v", err)
		}
		tb.Skipf("PostgreSQL not available (set MEMBERSHIP_TEST_POSTGRES): %v", err)
	}
	if err := conn.Close(ctx); err != nil {
		tb.Fatalf("close probe connection: %v", err)
	}
	schema := "taskhub_test_" + strings.ToLower(rand.Text()[:10])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, serverURL())
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// open returns a Backend on schema, its task hub created, closed when the
// test ends (after the workers the test starts later have stopped).
func open(tb testing.TB, schema string, opts postgres.Options) *postgres.Backend {
	tb.Helper()
	ctx := context.Background()
	opts.Schema = schema
	b, err := postgres.New(ctx, serverURL(), opts, taskhubtest.Logger())
	if err != nil {
		tb.Fatalf("open backend: %v", err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("close backend: %v", err)
		}
	})
	if err := b.CreateTaskHub(ctx); err != nil {
		tb.Fatalf("create task hub: %v", err)
	}
	return b
}
