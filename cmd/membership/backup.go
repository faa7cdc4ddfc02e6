package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"membership/db"
	"membership/taskhub"
)

// backup writes consistent copies of both stores into DIR, also while `serve` runs: SQLite's
// VACUUM INTO reads a snapshot, where a file copy of a live WAL database could be torn.
func backup(ctx context.Context, e env) error {
	if len(e.args) != 1 {
		return errors.New("usage: membership backup DIR")
	}
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	if cfg.Database.Driver != "sqlite" || cfg.TaskHub.Backend != taskhub.BackendSQLite {
		return errors.New("backup copies SQLite stores; back PostgreSQL up with pg_dump")
	}
	stamp := time.Now().UTC().Format("20060102-150405")
	dir := e.args[0]
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	log := newLogger(e.stderr)
	gdb, err := db.Open(ctx, cfg.Database, log)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	// The task hub first, then the app database: the two snapshots are moments apart, and the
	// later app snapshot may only know more. A send the app copy records and the hub copy does
	// not is run again after a restore and finds its notice sent (the ledger); the other way
	// round the hub would remember sends whose notices the app copy had lost.
	hubCopy := filepath.Join(dir, "taskhub-"+stamp+".db")
	if err := taskhub.BackupSQLite(ctx, cfg.TaskHub.DSN, hubCopy); err != nil {
		return err
	}
	appCopy := filepath.Join(dir, "membership-"+stamp+".db")
	if err := db.Backup(ctx, gdb, appCopy); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n%s\n", appCopy, hubCopy)
	return nil
}
