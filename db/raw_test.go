package db_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"gorm.io/gorm"

	"membership/db"
	"membership/db/dbtest"
)

// TestStatementPlaceholders: the text a Statement builds names its placeholders the way each
// driver wants them.
func TestStatementPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		name string
		gdb  func(testing.TB) *gorm.DB
		want string
	}{
		{"sqlite", dbtest.SQLite, "UPDATE t SET a = ? WHERE id IN (?, ?, ?)"},
		{"postgres", dbtest.Postgres, "UPDATE t SET a = $1 WHERE id IN ($2, $3, $4)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := db.NewStatement(tc.gdb(t), "UPDATE t SET a = ").Arg("x").Text(" WHERE id IN ").List(1, 2, 3)
			if got := st.String(); got != tc.want || st.Len() != 4 {
				t.Errorf("got %q with %d arguments, want %q with 4", got, st.Len(), tc.want)
			}
		})
	}
}

// TestStatementRuns: a Statement built outside a transaction runs inside one on the
// transaction's connection — an INSERT … RETURNING hands back each inserted row's id and key,
// none for a key kept already, and what it wrote is seen by GORM in the same transaction; a
// failing statement's error ends the transaction and keeps nothing.
func TestStatementRuns(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, gdb *gorm.DB) {
		ctx := context.Background()
		id := "INTEGER PRIMARY KEY"
		if db.Dialect(gdb) == "postgres" {
			id = "BIGSERIAL PRIMARY KEY"
		}
		if err := gdb.Exec("CREATE TABLE raw_test (id " + id + ", k TEXT NOT NULL UNIQUE, n INTEGER NOT NULL)").Error; err != nil {
			t.Fatal(err)
		}
		insert := func(keys ...string) *db.Statement {
			st := db.NewStatement(gdb, "INSERT INTO raw_test (k, n) VALUES ")
			for i, k := range keys {
				if i > 0 {
					st.Text(", ")
				}
				st.List(k, i)
			}
			return st.Text(" ON CONFLICT (k) DO NOTHING RETURNING id, k")
		}
		run := func(st *db.Statement) (got []string, count int64, err error) {
			err = gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				if err := st.EachKey(tx, func(id int64, key string) {
					if id > 0 {
						got = append(got, key)
					}
				}); err != nil {
					return err
				}
				return tx.Table("raw_test").Count(&count).Error
			})
			slices.Sort(got)
			return got, count, err
		}
		got, count, err := run(insert("a", "b"))
		if err != nil || !slices.Equal(got, []string{"a", "b"}) || count != 2 {
			t.Fatalf("first insert: keys %v, %d rows, %v", got, count, err)
		}
		got, count, err = run(insert("b", "c"))
		if err != nil || !slices.Equal(got, []string{"c"}) || count != 3 {
			t.Fatalf("second insert: keys %v, %d rows, %v; want only c inserted", got, count, err)
		}
		bad := db.NewStatement(gdb, "INSERT INTO raw_test (k, n) VALUES ").List("d", nil).Text(" RETURNING id, k")
		if _, _, err := run(bad); err == nil {
			t.Fatal("a NULL in a NOT NULL column was accepted")
		}
		var n int64
		if err := gdb.Table("raw_test").Where("k = ?", "d").Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("the failed insert kept %d rows (%v)", n, err)
		}
		if _, err := db.NewStatement(gdb, "SELECT 1").Exec(gdb.WithContext(canceled())); !errors.Is(err, context.Canceled) {
			t.Errorf("a canceled context: %v, want context.Canceled", err)
		}
	})
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
