// Package db opens the app database (SQLite through gorm.io/driver/sqlite, or PostgreSQL), applies
// its versioned migrations and makes consistent backups. The task hub is another store with
// another SQLite library: this package never opens its file through GORM.
package db

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"membership/config"
	"membership/db/sqlitefile"
)

// Open connects to the app database and checks that it answers. For SQLite a plain path becomes
// a DSN with WAL, a busy timeout, foreign keys and immediate write transactions (so two writers
// queue on the busy timeout instead of failing with SQLITE_BUSY on lock upgrade).
func Open(ctx context.Context, cfg config.Database, log *slog.Logger) (*gorm.DB, error) {
	gcfg := &gorm.Config{
		Logger:         slogLogger{log: log, slow: 200 * time.Millisecond},
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC() },
	}
	var dial gorm.Dialector
	switch cfg.Driver {
	case "sqlite":
		dsn, err := SQLiteDSN(cfg.DSN)
		if err != nil {
			return nil, err
		}
		// The busy timeout bounds the wait at the gate too.
		wait, err := busyTimeout(dsn)
		if err != nil {
			return nil, err
		}
		dial = appSQLite{&sqlite.Dialector{DSN: dsn, Conn: openGatedSQLite(dsn, wait)}}
	case "postgres":
		dial = postgres.Open(cfg.DSN)
	default:
		return nil, fmt.Errorf("database.driver %q: use sqlite or postgres", cfg.Driver)
	}
	gdb, err := gorm.Open(dial, gcfg)
	if err != nil {
		return nil, fmt.Errorf("open %s app database: %w", cfg.Driver, err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("app database handle: %w", err)
	}
	maxOpen := 20
	if cfg.Driver == "sqlite" {
		// WAL lets readers run beside the one writer; more than a handful of connections only
		// adds contention on the write lock.
		maxOpen = 8
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	// database/sql keeps 2 idle connections by default: under a campaign's concurrency the
	// others were closed after each use and opened again (for SQLite the open and its pragmas,
	// for PostgreSQL a new backend) — about 5 % of a campaign's CPU. Idle ones still go after
	// ConnMaxIdleTime.
	sqlDB.SetMaxIdleConns(maxOpen)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("app database does not answer: %w", err)
	}
	return gdb, nil
}

// SQLiteDSN turns a file path (or a file: URI) into a DSN for mattn/go-sqlite3 with our pragmas,
// creating the parent folder. Options already in the DSN win.
func SQLiteDSN(dsn string) (string, error) {
	path, query := sqlitefile.SplitDSN(dsn)
	if path == "" || path == ":memory:" {
		return "", fmt.Errorf("database.dsn %q: the app database needs a file", dsn)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", fmt.Errorf("create folder for %s: %w", path, err)
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("database.dsn %q: %w", dsn, err)
	}
	defaults := map[string]string{
		"_busy_timeout": strconv.Itoa(defaultBusyTimeout),
		"_journal_mode": "WAL",
		"_synchronous":  "NORMAL",
		"_foreign_keys": "on",
		"_txlock":       "immediate",
		// 64 MiB of page cache instead of SQLite's 2 MiB: broad list filters over 100,000
		// members read half as much (measured: fee-overdue filter 133 → 59 ms of CPU).
		"_cache_size": "-65536",
	}
	for k, v := range defaults {
		if q.Get(k) == "" {
			q.Set(k, v)
		}
	}
	return "file:" + path + "?" + q.Encode(), nil
}

// Dialect names the SQL dialect of an open database: "sqlite" or "postgres".
func Dialect(gdb *gorm.DB) string {
	if gdb.Dialector.Name() == "postgres" {
		return "postgres"
	}
	return "sqlite"
}

// Close closes the database's connections.
func Close(gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// slogLogger routes GORM's messages to slog: errors and slow queries only, never the SQL's values
// (they hold members' personal data).
type slogLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func (l slogLogger) LogMode(logger.LogLevel) logger.Interface { return l }
func (l slogLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(msg, args...))
}
func (l slogLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
}
func (l slogLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
}
func (l slogLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	if elapsed < l.slow && err == nil {
		return
	}
	sql, rows := fc()
	if i := strings.IndexAny(sql, "'"); i >= 0 {
		sql = sql[:i] + "…" // cut before the first literal value
	}
	if err != nil && !isExpected(err) {
		l.log.ErrorContext(ctx, "query failed", slog.String("sql", sql), slog.Any("error", err))
		return
	}
	if elapsed >= l.slow {
		l.log.WarnContext(ctx, "slow query", slog.String("sql", sql), slog.Duration("took", elapsed), slog.Int64("rows", rows))
	}
}

// isExpected filters errors that callers handle as normal outcomes.
func isExpected(err error) bool {
	return err == gorm.ErrRecordNotFound || err == gorm.ErrDuplicatedKey || err == context.Canceled
}

// Ping checks that the database answers (for readiness).
func Ping(ctx context.Context, gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}
