package db

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	_ "github.com/mattn/go-sqlite3" // the app's copy of SQLite, as db.Open uses it

	"membership/db/sqlitefile"
)

// ErrDamaged is what CheckSQLiteFile answers for a file that is no sound app database.
var ErrDamaged = sqlitefile.ErrDamaged

// CheckSQLiteFile runs PRAGMA integrity_check on the SQLite app database file at path (a backup
// to restore, say) and checks that it holds the app's tables. It opens the file read-only through
// the app's own copy of SQLite: the task hub's copy must never open app database files.
func CheckSQLiteFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	sqlDB, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer sqlDB.Close()
	return sqlitefile.Check(ctx, sqlDB, "members", "an app database")
}
