// Package webtest starts the real web server for tests: a migrated SQLite app database and a
// running SQLite task hub in t.TempDir(), the configuration's defaults, an httptest server on
// loopback, and clients that sign in as a browser or call the API with a token.
package webtest

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/microsoft/durabletask-go/task"
	"gorm.io/gorm"

	"membership"
	"membership/config"
	"membership/db/dbtest"
	"membership/members"
	"membership/taskhub"
	"membership/web"
	"membership/web/auth"
	"membership/web/i18n"
)

// AdminEmail and AdminPassword sign in the admin every App starts with.
const (
	AdminEmail      = "admin@example.org"
	AdminPassword   = "correct horse battery"
	TrainerEmail    = "trainer@example.org"
	TrainerPassword = "trainer horse battery"
)

// App is a running server with its stores.
type App struct {
	URL     string
	Config  *config.Config
	DB      *gorm.DB
	Auth    *auth.Store
	Members *members.Store
	Hub     *taskhub.Hub
	Server  *web.Server
}

// Options adjust the app before it starts.
type Options struct {
	// Configure changes the configuration (defaults with the data folder in t.TempDir()).
	Configure func(*config.Config)
	// Register adds orchestrators and activities to the task hub's registry.
	Register func(*task.TaskRegistry)
	// Deps changes the server's dependencies before it is built.
	Deps func(*web.Deps)
	// DatabaseQuery adds options to the app database's DSN ("_busy_timeout=200").
	DatabaseQuery string
}

// Start runs the app until the test ends.
func Start(t testing.TB, opts Options) *App {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(membership.DefaultConfig, writeEmpty(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.Server.DataDir = dir
	cfg.TaskHub.DSN = filepath.Join(dir, "taskhub.db")
	if opts.Configure != nil {
		opts.Configure(cfg)
	}
	gdb := dbtest.SQLiteWith(t, opts.DatabaseQuery)
	log := dbtest.Log()
	users := auth.NewStore(gdb, auth.Options{
		SessionIdle: cfg.Auth.SessionIdle.Std(), SessionMax: cfg.Auth.SessionMax.Std(),
		LoginAttempts: cfg.Auth.LoginAttempts, LoginWindow: cfg.Auth.LoginWindow.Std(),
	}, log)
	if _, err := users.AddUser(ctx, AdminEmail, "Admin", auth.RoleAdmin, AdminPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := users.AddUser(ctx, TrainerEmail, "Trainer", auth.RoleTrainer, TrainerPassword); err != nil {
		t.Fatal(err)
	}
	hub, err := taskhub.Open(ctx, taskhub.Options{DSN: cfg.TaskHub.DSN, Name: "test", LockTimeout: cfg.TaskHub.LockTimeout.Std(), Parallelism: cfg.TaskHub.Parallelism}, log)
	if err != nil {
		t.Fatal(err)
	}
	r := task.NewTaskRegistry()
	if opts.Register != nil {
		opts.Register(r)
	}
	if err := hub.Start(ctx, r); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			t.Errorf("task hub shutdown: %v", err)
		}
	})
	store := members.NewStore(gdb, MembersOptions(cfg), log)
	deps := web.Deps{Config: cfg, Log: log, Auth: users, Members: store, Hub: hub}
	if opts.Deps != nil {
		opts.Deps(&deps)
	}
	srv := web.New(deps)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	cfg.Server.BaseURL = hs.URL
	return &App{URL: hs.URL, Config: cfg, DB: gdb, Auth: users, Members: store, Hub: hub, Server: srv}
}

// Token creates an API token with a role.
func (a *App) Token(t testing.TB, role string) string {
	t.Helper()
	tok, _, err := a.Auth.CreateToken(context.Background(), "test "+role, role, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Client is an HTTP client with a cookie jar that does not follow redirects, so tests see them.
func Client(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func writeEmpty(t testing.TB) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// MembersOptions derives the members store's options from the configuration, as cmd does.
func MembersOptions(cfg *config.Config) members.Options {
	opts := members.Options{Region: cfg.Club.DefaultRegion, AllowedRegions: cfg.Club.AllowedRegions, Location: cfg.Club.Location()}
	if cat, err := i18n.Load(); err == nil {
		opts.Languages = cat.Languages()
	}
	return opts
}

// withArea adds an area's workflows and activities to opts. The task hub starts before the
// stores exist, so the area registers now and fill gives its activities their dependencies in
// Deps, before any workflow can run them; opts' own Register and Deps still run after.
func withArea(t testing.TB, opts Options, register func(*task.TaskRegistry) error, fill func(*web.Deps)) Options {
	outerRegister, outerDeps := opts.Register, opts.Deps
	opts.Register = func(r *task.TaskRegistry) {
		if err := register(r); err != nil {
			t.Fatal(err)
		}
		if outerRegister != nil {
			outerRegister(r)
		}
	}
	opts.Deps = func(d *web.Deps) {
		fill(d)
		if outerDeps != nil {
			outerDeps(d)
		}
	}
	return opts
}
