package db_test

import (
	"context"
	"path/filepath"
	"testing"
	"testing/fstest"

	"gorm.io/gorm"

	"membership/config"
	"membership/db"
	"membership/db/dbtest"
)

func tableExists(t *testing.T, gdb *gorm.DB, name string) bool {
	t.Helper()
	return gdb.Migrator().HasTable(name)
}

func TestMigrateFreshAndRepeated(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		for _, table := range []string{"users", "sessions", "api_tokens", "login_failures", "outbox_messages"} {
			if !tableExists(t, gdb, table) {
				t.Errorf("table %s missing after migrate", table)
			}
		}
		// A second run finds nothing to do and changes nothing.
		if err := db.Migrate(context.Background(), gdb, dbtest.Log()); err != nil {
			t.Fatalf("repeated migrate: %v", err)
		}
	})
}

func TestFailingMigrationLeavesDatabaseAsItWas(t *testing.T) {
	tests := []struct {
		name string
		open func(t *testing.T) config.Database
	}{
		{"sqlite", func(t *testing.T) config.Database {
			return config.Database{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "app.db")}
		}},
		{"postgres", func(t *testing.T) config.Database {
			return config.Database{Driver: "postgres", DSN: dbtest.PostgresDatabase(t)}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			gdb, err := db.Open(ctx, tc.open(t), dbtest.Log())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close(gdb)
			good := fstest.MapFS{"00001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n")}}
			if err := db.MigrateFS(ctx, gdb, good, dbtest.Log()); err != nil {
				t.Fatal(err)
			}
			// The second migration creates a table, then fails: the table must not remain.
			bad := fstest.MapFS{
				"00001_a.sql": good["00001_a.sql"],
				"00002_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n")},
			}
			if err := db.MigrateFS(ctx, gdb, bad, dbtest.Log()); err == nil {
				t.Fatal("broken migration applied without error")
			}
			if tableExists(t, gdb, "b") {
				t.Error("failed migration left table b behind")
			}
			if !tableExists(t, gdb, "a") {
				t.Error("earlier migration's table a is gone")
			}
			// Once fixed, the migration applies.
			fixed := fstest.MapFS{
				"00001_a.sql": good["00001_a.sql"],
				"00002_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n")},
			}
			if err := db.MigrateFS(ctx, gdb, fixed, dbtest.Log()); err != nil {
				t.Fatalf("fixed migration: %v", err)
			}
			if !tableExists(t, gdb, "b") {
				t.Error("fixed migration did not create b")
			}
		})
	}
}

func TestSQLiteDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"data/x.db", "file:data/x.db?_busy_timeout=5000&_cache_size=-65536&_foreign_keys=on&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate"},
		{"file:y.db?_busy_timeout=100", "file:y.db?_busy_timeout=100&_cache_size=-65536&_foreign_keys=on&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate"},
	}
	t.Chdir(t.TempDir())
	for _, tc := range tests {
		got, err := db.SQLiteDSN(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("SQLiteDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if _, err := db.SQLiteDSN(":memory:"); err == nil {
		t.Error(":memory: accepted for the app database")
	}
}
