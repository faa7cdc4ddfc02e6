package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
)

// Migrations are numbered SQL files, one folder per dialect. Numbers are grouped by the part of
// the product that owns the tables: 1–99 foundation (users, sessions, tokens, outbox), 100–199
// members, 200–299 notices, 300–399 verifications, 400–499 fees and campaigns.
//
//go:embed migrations
var migrations embed.FS

// Migrate applies every pending migration. Each file runs in its own transaction, so one that
// fails leaves the database as it was before that file.
func Migrate(ctx context.Context, gdb *gorm.DB, log *slog.Logger) error {
	dir, err := fs.Sub(migrations, "migrations/"+Dialect(gdb))
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", Dialect(gdb), err)
	}
	return MigrateFS(ctx, gdb, dir, log)
}

// MigrateFS applies the migrations in fsys; tests use it to run a broken migration.
func MigrateFS(ctx context.Context, gdb *gorm.DB, fsys fs.FS, log *slog.Logger) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	dialect := goose.DialectSQLite3
	if Dialect(gdb) == "postgres" {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, sqlDB, fsys,
		goose.WithDisableGlobalRegistry(true),
		// Parts of the product number their migrations in ranges of their own; a database
		// that already has a later range still takes an earlier one added afterwards.
		goose.WithAllowOutofOrder(true),
	)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			log.Info("migration applied", slog.String("file", r.Source.Path), slog.Duration("took", r.Duration))
		}
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
