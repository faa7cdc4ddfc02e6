package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/microsoft/durabletask-go/backend"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// versionTable records the applied migrations, apart from any goose table of
// the application that may share the database.
const versionTable = "taskhub_goose_version"

// CreateTaskHub implements backend.Backend: it creates the schema if one is
// configured and applies the pending migrations. Processes starting at once
// take turns through an advisory lock. It is idempotent and never returns
// backend.ErrTaskHubExists, like the engine's SQLite backend.
func (b *Backend) CreateTaskHub(ctx context.Context) error {
	if b.opts.Schema != "" {
		// IF NOT EXISTS does not stop two sessions from creating the schema
		// at once (one fails on a unique index), so they take turns.
		err := b.inTx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock(b.opts.Schema)); err != nil {
				return fmt.Errorf("wait for other processes: %w", err)
			}
			_, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{b.opts.Schema}.Sanitize())
			return err
		})
		if err != nil {
			return fmt.Errorf("create task hub schema %q: %w", b.opts.Schema, err)
		}
	}
	p, closeDB, err := b.migrator()
	if err != nil {
		return err
	}
	defer closeDB()
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate task hub: %w", err)
	}
	return nil
}

// DeleteTaskHub implements backend.Backend: it drops the task hub's tables
// and its migration record, not the schema.
func (b *Backend) DeleteTaskHub(ctx context.Context) error {
	var exists bool
	if err := b.pool.QueryRow(ctx, "SELECT to_regclass('instances') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("look for task hub tables: %w", err)
	}
	if !exists {
		return backend.ErrTaskHubNotFound
	}
	p, closeDB, err := b.migrator()
	if err != nil {
		return err
	}
	defer closeDB()
	if _, err := p.DownTo(ctx, 0); err != nil {
		return fmt.Errorf("roll back task hub migrations: %w", err)
	}
	if _, err := b.pool.Exec(ctx, "DROP TABLE IF EXISTS "+versionTable); err != nil {
		return fmt.Errorf("drop %s: %w", versionTable, err)
	}
	return nil
}

// migrator returns a goose provider over the pool and the function that
// releases its database/sql handle.
func (b *Backend) migrator() (*goose.Provider, func(), error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, nil, fmt.Errorf("open embedded migrations: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(migrationLock(b.opts.Schema)),
		lock.WithLockTimeout(1, 300),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("create migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(b.pool)
	closeDB := func() {
		if err := db.Close(); err != nil {
			b.log.Warn("close migration handle", slog.Any("error", err))
		}
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithTableName(versionTable),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		closeDB()
		return nil, nil, fmt.Errorf("create migration provider: %w", err)
	}
	return p, closeDB, nil
}

// migrationLock is the advisory lock that processes creating the task hub of
// a schema take turns on. It is per schema, so that hubs in different
// schemas (parallel tests) migrate without waiting for each other.
func migrationLock(schema string) int64 {
	return int64(hubKey(schema) >> 1)
}
