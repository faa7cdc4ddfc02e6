package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"gorm.io/gorm"

	"membership"
	"membership/config"
	"membership/db"
	"membership/members"
)

// loadConfig reads the configuration layers for a subcommand.
func loadConfig(e env) (*config.Config, error) {
	return config.Load(membership.DefaultConfig, e.configPath, e.environ)
}

// newLogger logs text lines to w; MEMBERSHIP_LOG_LEVEL=debug shows the engine's chatter.
func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("MEMBERSHIP_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// openAppDB opens and migrates the app database.
func openAppDB(ctx context.Context, cfg *config.Config, log *slog.Logger) (*gorm.DB, error) {
	gdb, err := db.Open(ctx, cfg.Database, log)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, gdb, log); err != nil {
		_ = db.Close(gdb)
		return nil, err
	}
	return gdb, nil
}

func migrate(ctx context.Context, e env) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr)
	gdb, err := openAppDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	fmt.Fprintln(e.stdout, "app database is up to date")
	return nil
}

// membersOptions derives the members store's options from the club's configuration.
func membersOptions(cfg *config.Config) members.Options {
	return members.Options{Region: cfg.Club.DefaultRegion, AllowedRegions: cfg.Club.AllowedRegions, Location: cfg.Club.Location()}
}
