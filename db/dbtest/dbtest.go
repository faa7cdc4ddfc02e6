// Package dbtest opens migrated app databases for tests: a SQLite file in t.TempDir(), and a
// fresh PostgreSQL database of the test's own on the server named by MEMBERSHIP_TEST_POSTGRES.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"membership/config"
	"membership/db"
)

// DefaultPostgres is the server tests use when MEMBERSHIP_TEST_POSTGRES is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Log is a logger that keeps test output quiet.
func Log() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// SQLite opens and migrates a fresh app database file in t.TempDir().
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	return SQLiteWith(t, "")
}

// SQLiteWith is SQLite with DSN options of the test's own, such as "_busy_timeout=200"; db.Open
// adds its defaults for the rest.
func SQLiteWith(t testing.TB, query string) *gorm.DB {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "app.db")
	if query != "" {
		dsn += "?" + query
	}
	return open(t, config.Database{Driver: "sqlite", DSN: dsn})
}

// Postgres opens and migrates a fresh database of the test's own, dropped after the test.
// Without a reachable server the test is skipped, except in CI (CI=true), where it fails.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	return open(t, config.Database{Driver: "postgres", DSN: PostgresDatabase(t)})
}

// Each runs fn against SQLite and against PostgreSQL, as subtests.
func Each(t *testing.T, fn func(t *testing.T, gdb *gorm.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// PostgresURL is the server's URL for tests.
func PostgresURL() string {
	if u := os.Getenv("MEMBERSHIP_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultPostgres
}

// PostgresDatabase creates an empty database on the test server and returns its URL; it is
// dropped when the test ends.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		Unavailable(t, "PostgreSQL", fmt.Sprintf("%v (set MEMBERSHIP_TEST_POSTGRES or start PostgreSQL on 127.0.0.1:5432)", err))
	}
	defer admin.Close(context.Background())
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "mtest_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, PostgresURL())
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(PostgresURL())
	if err != nil {
		t.Fatalf("MEMBERSHIP_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Unavailable skips a test whose outside dependency is missing, or fails it in CI, where every
// dependency must be there.
func Unavailable(t testing.TB, what, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %s", what, why)
	}
	t.Skipf("%s not available: %s", what, why)
}

func open(t testing.TB, cfg config.Database) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	gdb, err := db.Open(ctx, cfg, Log())
	if err != nil {
		t.Fatalf("open app database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close(gdb) })
	if err := db.Migrate(ctx, gdb, Log()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return gdb
}
