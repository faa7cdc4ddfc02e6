package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/microsoft/durabletask-go/task"

	"membership/config"
	"membership/db"
	"membership/members"
	"membership/taskhub"
	"membership/taskhub/postgres"
	"membership/web"
	"membership/web/auth"
)

// firstAdminEmail is the login of the admin created on a fresh installation.
const firstAdminEmail = "admin@example.org"

// serve runs the app until ctx ends (SIGINT/SIGTERM), then stops accepting requests, finishes
// those in flight, drains the workflow workers and closes both stores.
func serve(ctx context.Context, e env) error { return serveWith(ctx, e, nil, nil) }

// serveWith is serve with extra orchestrators and activities, and a hook that runs once the
// workers are started (tests use both to put work in flight in a real serving process).
func serveWith(ctx context.Context, e env, extra func(r *task.TaskRegistry), started func(ctx context.Context, hub *taskhub.Hub) error) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr)
	start := time.Now()

	lock, err := lockDataDir(cfg.Server.DataDir)
	if err != nil {
		return err
	}
	defer lock.release()

	gdb, err := openAppDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close(gdb)

	users := auth.NewStore(gdb, authOptions(cfg), log)
	if pw, err := users.EnsureFirstAdmin(ctx, firstAdminEmail); err != nil {
		return err
	} else if pw != "" {
		fmt.Fprintf(e.stdout, "\nFirst start: created the admin %s with the password\n\n    %s\n\nIt is shown only this once. Sign in and change it under your name in the top bar.\n\n", firstAdminEmail, pw)
	}

	hub, err := openTaskHub(ctx, cfg, log)
	if err != nil {
		return err
	}
	if cfg.TaskHub.Backend == taskhub.BackendSQLite {
		// This process owns the SQLite task hub alone (the data-folder lock says so), so every
		// work-item lock in it was left by a process that died.
		n, err := hub.ReleaseStaleLocks(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("released work items locked by a previous process", slog.Int("items", n))
		}
	}
	r := task.NewTaskRegistry()
	// Activities registered through metrics.Activity (or metrics.AddActivity) are timed and their
	// failures counted on /metrics.
	metrics := web.NewMetrics()
	notices, err := wireNotify(ctx, cfg, gdb, users, log, r, metrics)
	if err != nil {
		return err
	}
	verifications, err := wireVerification(ctx, cfg, gdb, notices.notices, log, r, metrics)
	if err != nil {
		return err
	}
	if err := wireFees(ctx, cfg, gdb, notices.notices, hub, log, r, metrics); err != nil {
		return err
	}
	erasures, err := wireErasure(cfg, gdb, notices.notices, log, r, metrics)
	if err != nil {
		return err
	}
	if extra != nil {
		extra(r)
	}
	orchestrators, err := taskhub.OrchestratorNames(r)
	if err != nil {
		return err
	}
	if err := hub.Start(ctx, r); err != nil {
		return err
	}
	if started != nil {
		if err := started(ctx, hub); err != nil {
			return err
		}
	}

	srv := web.New(web.Deps{
		Config:  cfg,
		Log:     log,
		Auth:    users,
		Members: members.NewStore(gdb, membersOptions(cfg), log),
		Hub:     hub,
		// The management API starts only what this process runs.
		Orchestrators: orchestrators,
		Metrics:       metrics,
		Outbox:        notices.outbox,
		Verifications: verifications,
		Ready: []web.Check{
			{Name: "app_database", Ping: func(ctx context.Context) error { return db.Ping(ctx, gdb) }},
			{Name: "taskhub", Ping: hub.Ping},
			{Name: "disk", Ping: func(context.Context) error { return db.CheckSpace(sqliteFiles(cfg)...) }},
		},
	})
	erasures.SetEraser(srv)
	httpSrv := &http.Server{
		Addr:              cfg.Server.Addr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Addr, err)
	}
	log.Info("membership is serving", slog.String("addr", ln.Addr().String()), slog.String("base_url", cfg.Server.BaseURL), slog.Duration("startup", time.Since(start)))
	fmt.Fprintf(e.stdout, "membership: open %s in your browser\n", cfg.Server.BaseURL)

	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var errs []error
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("stop http server: %w", err))
	}
	if err := hub.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("stop task hub: %w", err))
	}
	if err := notices.close(); err != nil {
		errs = append(errs, fmt.Errorf("close notification providers: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

// sqliteFiles are the files of the stores that live in SQLite, whose disk /readyz watches.
func sqliteFiles(cfg *config.Config) []string {
	var files []string
	if cfg.Database.Driver == "sqlite" {
		files = append(files, cfg.Database.DSN)
	}
	if cfg.TaskHub.Backend == "sqlite" {
		files = append(files, cfg.TaskHub.DSN)
	}
	return files
}

func openTaskHub(ctx context.Context, cfg *config.Config, log *slog.Logger) (*taskhub.Hub, error) {
	hub, err := taskhub.Open(ctx, taskhub.Options{
		Backend:     cfg.TaskHub.Backend,
		DSN:         cfg.TaskHub.DSN,
		Name:        cfg.TaskHub.Name,
		LockTimeout: cfg.TaskHub.LockTimeout.Std(),
		Parallelism: cfg.TaskHub.Parallelism,
		NewPostgres: postgres.NewForHub,
	}, log)
	if err != nil {
		return nil, fmt.Errorf("taskhub.backend %q: %w", cfg.TaskHub.Backend, err)
	}
	return hub, nil
}
