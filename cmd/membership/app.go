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
	"membership/web/i18n"
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
	return withAppDB(ctx, e, func(*config.Config, *slog.Logger, *gorm.DB) error {
		fmt.Fprintln(e.stdout, "app database is up to date")
		return nil
	})
}

// withAppDB is what the maintenance subcommands share: load the configuration, open and migrate
// the app database, run fn, close the database.
func withAppDB(ctx context.Context, e env, fn func(*config.Config, *slog.Logger, *gorm.DB) error) error {
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
	return fn(cfg, log, gdb)
}

// withMembers opens the app database and hands fn the members store and the configuration.
func withMembers(ctx context.Context, e env, fn func(*members.Store, *config.Config) error) error {
	return withAppDB(ctx, e, func(cfg *config.Config, log *slog.Logger, gdb *gorm.DB) error {
		return fn(members.NewStore(gdb, membersOptions(cfg), log), cfg)
	})
}

// membersOptions derives the members store's options from the club's configuration. A member
// may prefer any language the product speaks: the web's message catalogue. Should it not load,
// the store keeps its default and the web server, which loads it too, reports why.
func membersOptions(cfg *config.Config) members.Options {
	opts := members.Options{Region: cfg.Club.DefaultRegion, AllowedRegions: cfg.Club.AllowedRegions, Location: cfg.Club.Location()}
	if cat, err := i18n.Load(); err == nil {
		opts.Languages = cat.Languages()
	}
	return opts
}
